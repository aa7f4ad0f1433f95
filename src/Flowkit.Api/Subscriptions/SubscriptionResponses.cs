using Flowkit.Definitions.Subscriptions;
using Flowkit.Persistence.Hub;

namespace Flowkit.Api.Subscriptions;

/// <summary>A subscription as the API shows it.</summary>
public sealed record SubscriptionResponse(
    string Name,
    int Version,
    IReadOnlyList<string> Events,
    string? Workflow,
    IReadOnlyList<Destination> Destinations,
    string? Description,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    internal static SubscriptionResponse From(SubscriptionRow row)
    {
        var subscription = SubscriptionJson.ReadSubscription(row.Document);
        return new SubscriptionResponse(row.Name, row.Version, subscription.Events, subscription.Workflow, subscription.Destinations,
            subscription.Description, row.CreatedAt, row.UpdatedAt);
    }
}

/// <summary>What a PUT did: created (version 1), changed (a new version) or nothing (identical).</summary>
public sealed record PutSubscriptionResponse(string Name, int Version, bool Created, bool Changed);

/// <summary>One entry of a subscription's delivery log.</summary>
/// <param name="Id">The delivery; redrive it with POST .../deliveries/{id}/redrive.</param>
/// <param name="EventId">The event's stable id, sent as Idempotency-Key.</param>
/// <param name="EventType">The lifecycle event, e.g. RunFailed.</param>
/// <param name="RunId">The run the event is about.</param>
/// <param name="Destination">The destination's place in the subscription's list (from 0).</param>
/// <param name="Kind">slack, webhook, email or workflow.</param>
/// <param name="Status">pending, sending, delivered or dead (dead-lettered).</param>
/// <param name="Attempts">Attempts made since it was created or last redriven.</param>
/// <param name="LastError">Why the last failed attempt failed.</param>
/// <param name="Result">What the destination answered when delivered (HTTP status, run started, recipients).</param>
/// <param name="NextAttemptAt">When the next attempt is due, while pending.</param>
/// <param name="Redrives">How many times an operator redrove it.</param>
/// <param name="CreatedAt">When the event arrived.</param>
/// <param name="UpdatedAt">When the delivery last changed.</param>
/// <param name="DeliveredAt">When the destination took it.</param>
public sealed record DeliveryResponse(
    Guid Id,
    Guid EventId,
    string EventType,
    Guid RunId,
    int Destination,
    string Kind,
    string Status,
    int Attempts,
    string? LastError,
    string? Result,
    DateTimeOffset? NextAttemptAt,
    int Redrives,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? DeliveredAt)
{
    internal static DeliveryResponse From(DeliveryRow d) =>
        new(d.Id, d.EventId, d.EventType, d.RunId, d.DestinationIndex, d.Kind, d.Status, d.Attempts, d.LastError, d.Result,
            d.NextAttemptAt, d.Redrives, d.CreatedAt, d.UpdatedAt, d.DeliveredAt);
}
