namespace Flowkit.Contracts;

/// <summary>
/// Asks the integration hub to make one attempt of one delivery (one event to one destination of one subscription).
/// Sent through the outbox, at once or, for a retry, due after its backoff. A message whose <see cref="Token"/> is not
/// the delivery's current one (a duplicate, or one overtaken by a redrive) changes nothing.
/// </summary>
public sealed record DeliverEvent : IRunMessage
{
    /// <summary>The delivery row (<c>hub_deliveries.id</c>).</summary>
    public required Guid DeliveryId { get; init; }

    /// <summary>The delivery's current token: one message per scheduled attempt is honoured.</summary>
    public required Guid Token { get; init; }

    /// <summary>The run whose event is delivered.</summary>
    public required Guid RunId { get; init; }

    public required DateTimeOffset Timestamp { get; init; }
}
