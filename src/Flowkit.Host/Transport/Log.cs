namespace Flowkit.Host.Transport;

/// <summary>Host and transport log messages (event ids 4xxx).</summary>
internal static partial class Log
{
    [LoggerMessage(4001, LogLevel.Error, "Message {MessageId} ({MessageType}) on {Queue} is poison and goes to its _error queue: {Reason}: {Error}")]
    public static partial void DeadLettered(ILogger logger, string queue, string messageId, string messageType, string reason, string error);

    [LoggerMessage(4002, LogLevel.Warning, "No consumer of this process on {Queues} for {Seconds:0} s while the broker answers; restarting the bus")]
    public static partial void RestartingBus(ILogger logger, string queues, double seconds);

    [LoggerMessage(4003, LogLevel.Information, "The bus was restarted; its receive endpoints are consuming again")]
    public static partial void BusRestarted(ILogger logger);
}
