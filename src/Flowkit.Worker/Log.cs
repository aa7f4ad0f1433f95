using Microsoft.Extensions.Logging;

namespace Flowkit.Worker;

/// <summary>Worker log messages (event ids 3xxx). Every text logged here has been through the step's secret mask.</summary>
internal static partial class Log
{
    [LoggerMessage(3001, LogLevel.Debug, "Step of type {StepType} succeeded")]
    public static partial void StepSucceeded(ILogger logger, string stepType);

    [LoggerMessage(3002, LogLevel.Information, "Step of type {StepType} failed: {Error} (retryable: {Retryable})")]
    public static partial void StepFailed(ILogger logger, string stepType, string error, bool retryable);

    [LoggerMessage(3003, LogLevel.Error, "Step of type {StepType} failed unexpectedly: {Error}")]
    public static partial void StepCrashed(ILogger logger, string stepType, string error);

    [LoggerMessage(3004, LogLevel.Warning, "Step of type {StepType} was interrupted by shutdown; its message goes back to the queue")]
    public static partial void StepInterrupted(ILogger logger, string stepType);

    [LoggerMessage(3005, LogLevel.Warning, "Step of type {StepType} was not started: its deadline {Deadline} had passed when it was received")]
    public static partial void StepExpired(ILogger logger, string stepType, DateTimeOffset deadline);
}
