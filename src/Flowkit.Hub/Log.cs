using Microsoft.Extensions.Logging;

namespace Flowkit.Hub;

/// <summary>The hub's log messages (event ids 6xxx). Never logs a destination's URL: it can hold a token.</summary>
internal static partial class Log
{
    [LoggerMessage(6001, LogLevel.Information, "Delivery {DeliveryId} ({Kind}) of {EventType} of run {RunId} delivered on attempt {Attempt}")]
    public static partial void Delivered(ILogger logger, Guid deliveryId, string kind, string eventType, Guid runId, int attempt);

    [LoggerMessage(6002, LogLevel.Warning, "Delivery {DeliveryId} ({Kind}) attempt {Attempt} failed; next attempt at {NextAttemptAt}: {Error}")]
    public static partial void Retrying(ILogger logger, Guid deliveryId, string kind, int attempt, DateTimeOffset nextAttemptAt, string error);

    [LoggerMessage(6003, LogLevel.Error, "Delivery {DeliveryId} ({Kind}) dead-lettered after attempt {Attempt}: {Error}")]
    public static partial void DeadLettered(ILogger logger, Guid deliveryId, string kind, int attempt, string error);

    [LoggerMessage(6004, LogLevel.Debug, "DeliverEvent for delivery {DeliveryId} is stale (token or status changed); ignored")]
    public static partial void Stale(ILogger logger, Guid deliveryId);

    [LoggerMessage(6005, LogLevel.Warning, "Subscription {Subscription} of workspace {Workspace} is stored but no longer valid; skipped: {Error}")]
    public static partial void BadSubscription(ILogger logger, string subscription, string workspace, string error);
}
