namespace Flowkit.Host.Transport;

/// <summary>Host and transport log messages (event ids 4xxx).</summary>
internal static partial class Log
{
    [LoggerMessage(4001, LogLevel.Error, "Message {MessageId} ({MessageType}) on {Queue} is poison and goes to its _error queue: {Reason}: {Error}")]
    public static partial void DeadLettered(ILogger logger, string queue, string messageId, string messageType, string reason, string error);
}
