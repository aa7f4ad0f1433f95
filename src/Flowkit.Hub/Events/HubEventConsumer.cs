using Flowkit.Contracts;
using Flowkit.Definitions.Subscriptions;
using Flowkit.Persistence;
using Flowkit.Persistence.Hub;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Flowkit.Hub.Events;

/// <summary>
/// Matches each lifecycle event against the workspace's subscriptions and, for each destination of each match,
/// writes a delivery row and its first <see cref="DeliverEvent"/> (outbox) in one transaction. It never sends
/// anything itself, so a slow or dead destination cannot hold this queue up. A redelivered batch finds its rows
/// already there (the unique key is subscription, destination and event id) and adds nothing.
/// </summary>
internal sealed class HubEventConsumer(FlowkitDbContext db, TimeProvider time, HubMetrics metrics, ILogger<HubEventConsumer> logger)
    : IConsumer<RunTimelineAppended>
{
    public async Task Consume(ConsumeContext<RunTimelineAppended> context)
    {
        var message = context.Message;
        var cancellationToken = context.CancellationToken;
        var rows = await db.Subscriptions.AsNoTracking().Where(s => s.Workspace == message.Workspace).ToListAsync(cancellationToken);
        if (rows.Count == 0)
        {
            return;
        }

        var subscriptions = new List<(SubscriptionRow Row, Subscription Subscription)>(rows.Count);
        foreach (var row in rows)
        {
            try
            {
                subscriptions.Add((row, SubscriptionJson.ReadSubscription(row.Document)));
            }
            catch (System.Text.Json.JsonException e)
            {
                Log.BadSubscription(logger, row.Name, row.Workspace, e.Message);
            }
        }

        var now = time.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var created = new List<string>();
        foreach (var e in message.Events)
        {
            Guid? eventId = null;
            foreach (var (row, subscription) in subscriptions)
            {
                if (!subscription.Matches(e.Type, e.Workflow))
                {
                    continue;
                }

                eventId ??= EventIds.For(e);
                var json = HubEvents.ToJson(e, eventId.Value, row.Name);
                for (var i = 0; i < subscription.Destinations.Count; i++)
                {
                    var destination = subscription.Destinations[i];
                    var delivery = new DeliveryRow
                    {
                        Id = Guid.CreateVersion7(),
                        SubscriptionId = row.Id,
                        Workspace = row.Workspace,
                        DestinationIndex = i,
                        Kind = destination.Type,
                        Destination = SubscriptionJson.Serialize(destination),
                        EventId = eventId.Value,
                        EventType = e.Type,
                        RunId = e.RunId,
                        Event = json,
                        Status = DeliveryStatuses.Pending,
                        Token = Guid.NewGuid(),
                        NextAttemptAt = now,
                        CreatedAt = now,
                        UpdatedAt = now,
                    };
                    if (await InsertAsync(delivery, cancellationToken))
                    {
                        HubOutbox.ScheduleAttempt(db, delivery, now, now);
                        created.Add(delivery.Kind);
                    }
                }
            }
        }

        await db.SaveChangesAsync(cancellationToken);
        // Once the rows are written, finish: the deliveries and their messages are whole or absent.
        await transaction.CommitAsync(CancellationToken.None);
        foreach (var kind in created)
        {
            metrics.Matched(kind);
        }
    }

    private async Task<bool> InsertAsync(DeliveryRow d, CancellationToken cancellationToken) =>
        await db.Database.ExecuteSqlInterpolatedAsync(
            $"""
            INSERT INTO hub_deliveries (id, subscription_id, workspace, destination_index, kind, destination, event_id, event_type, run_id, event,
                status, attempts, token, next_attempt_at, last_error, result, redrives, created_at, updated_at, delivered_at)
            VALUES ({d.Id}, {d.SubscriptionId}, {d.Workspace}, {d.DestinationIndex}, {d.Kind}, CAST({d.Destination} AS jsonb), {d.EventId}, {d.EventType},
                {d.RunId}, CAST({d.Event} AS jsonb), {d.Status}, 0, {d.Token}, {d.NextAttemptAt}, NULL, NULL, 0, {d.CreatedAt}, {d.UpdatedAt}, NULL)
            ON CONFLICT (subscription_id, destination_index, event_id) DO NOTHING
            """,
            cancellationToken) == 1;
}
