using Microsoft.Extensions.Logging;

namespace Flowkit.Worker;

/// <summary>Worker log messages (event ids 3xxx).</summary>
internal static partial class Log
{
    [LoggerMessage(3001, LogLevel.Debug, "Step of type {StepType} succeeded")]
    public static partial void StepSucceeded(ILogger logger, string stepType);

    [LoggerMessage(3002, LogLevel.Information, "Step of type {StepType} failed: {Error} (retryable: {Retryable})")]
    public static partial void StepFailed(ILogger logger, string stepType, string error, bool retryable);
}
