using Flowkit.Contracts;
using Flowkit.Persistence.Outbox;

namespace Flowkit.Persistence.Hub;

/// <summary>
/// Schedules the next attempt of a delivery: a <see cref="DeliverEvent"/> outbox row to the hub's delivery queue,
/// due at once or after a backoff, written in the caller's transaction (so the delivery's new token and its message
/// commit together) and built by <see cref="OutboxRows"/> like every outbox row.
/// </summary>
public static class HubOutbox
{
    public static void ScheduleAttempt(FlowkitDbContext db, DeliveryRow delivery, DateTimeOffset now, DateTimeOffset due)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(delivery);
        var token = delivery.Token ?? throw new InvalidOperationException($"Delivery {delivery.Id} has no token to schedule.");
        var message = new DeliverEvent { DeliveryId = delivery.Id, Token = token, RunId = delivery.RunId, Timestamp = due };
        // No timer token: a retry is never cancelled, only made harmless by the delivery's own token.
        db.Outbox.Add(OutboxRows.Create(message, OutboxRows.Queue(HubQueues.Deliveries), delivery.RunId, now, due));
        db.NoteOutboxDue(due);
    }
}
