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

    [LoggerMessage(3006, LogLevel.Warning, "Publishing the report failed ({ExceptionType}: {Error}); it is kept and retried in the background until {Until}")]
    public static partial void ReportDeferred(ILogger logger, string exceptionType, string error, DateTimeOffset until);

    [LoggerMessage(3007, LogLevel.Information, "The report of step {StepId} attempt {Attempt} was published after the broker came back")]
    public static partial void ReportPublishedLater(ILogger logger, string stepId, int attempt);

    [LoggerMessage(3008, LogLevel.Error, "The report of step {StepId} attempt {Attempt} could not be published until the attempt's deadline and grace; the engine's timeout retries the step")]
    public static partial void ReportAbandoned(ILogger logger, string stepId, int attempt);

    [LoggerMessage(3009, LogLevel.Information, "Step of type {StepType} was redelivered after it had finished here; its report is published again instead of running it twice")]
    public static partial void ReportRepeated(ILogger logger, string stepType);

    [LoggerMessage(3010, LogLevel.Information, "Step of type {StepType} was not started: the engine cancelled its run or attempt while it waited in the queue")]
    public static partial void StepSkippedCancelled(ILogger logger, string stepType);

    [LoggerMessage(3011, LogLevel.Warning, "Step of type {StepType} was not started: delivery {Delivery} arrived after its window ended at {StartBy}; the engine sends the attempt again")]
    public static partial void StepSuperseded(ILogger logger, string stepType, int delivery, DateTimeOffset startBy);
}
