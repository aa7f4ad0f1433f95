namespace Flowkit.Host.Observability;

/// <summary>Observability log messages (event ids 9xxx), including one line per lifecycle event of a run.</summary>
internal static partial class Log
{
    [LoggerMessage(9001, LogLevel.Information, "{EventType} run {RunId} ({Workspace}/{Workflow} v{Version}) {Details}")]
    public static partial void RunEvent(ILogger logger, string eventType, Guid runId, string workspace, string workflow, int version, string? details);

    [LoggerMessage(9002, LogLevel.Information, "{EventType} step {StepId} attempt {Attempt} ({StepType}) of run {RunId} ({Workspace}/{Workflow} v{Version}) {Details}")]
    public static partial void StepEvent(ILogger logger, string eventType, Guid runId, string workspace, string workflow, int version, string stepId, int attempt, string stepType, string? details);

    [LoggerMessage(9003, LogLevel.Warning, "Could not record lifecycle event {EventType} as metrics and logs")]
    public static partial void TimelineObserverFailed(ILogger logger, string eventType, Exception exception);

    [LoggerMessage(9011, LogLevel.Warning, "Could not read the outbox and step gauges from PostgreSQL; the last values stay")]
    public static partial void DatabaseGaugesFailed(ILogger logger, Exception exception);

    [LoggerMessage(9012, LogLevel.Warning, "Could not read queue gauges from the RabbitMQ management API at {Url}; the last values stay")]
    public static partial void QueueGaugesFailed(ILogger logger, Uri url, Exception exception);

    [LoggerMessage(9013, LogLevel.Information, "No RabbitMQ management URL (Flowkit:RabbitMqManagementUrl): queue gauges are off")]
    public static partial void QueueGaugesOff(ILogger logger);
}
