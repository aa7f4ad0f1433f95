using Flowkit.Contracts;
using Flowkit.Persistence;
using Flowkit.Persistence.Hub;
using Flowkit.Sagas.Planning;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Flowkit.Hub.Delivery;

/// <summary>
/// One attempt of one delivery. The delivery is claimed by its token (a duplicate or overtaken message changes
/// nothing), the attempt runs with no transaction open, and its outcome is written with a conditional update:
/// delivered; pending again with a new token and a <see cref="DeliverEvent"/> due after the backoff (scheduled
/// through the outbox, so no consumer waits); or dead-lettered when attempts run out or the failure cannot pass.
/// If the process dies mid-attempt, RabbitMQ redelivers the message, whose token still matches: at least once.
/// </summary>
internal sealed class DeliverEventConsumer(
    FlowkitDbContext db,
    DeliveryAttempts attempts,
    IOptions<HubOptions> options,
    TimeProvider time,
    HubMetrics metrics,
    ILogger<DeliverEventConsumer> logger) : IConsumer<DeliverEvent>
{
    public async Task Consume(ConsumeContext<DeliverEvent> context)
    {
        var message = context.Message;
        var cancellationToken = context.CancellationToken;
        var now = time.GetUtcNow();
        var claimed = await db.Deliveries
            .FromSql($"""
                UPDATE hub_deliveries SET status = {DeliveryStatuses.Sending}, attempts = attempts + 1, updated_at = {now}
                WHERE id = {message.DeliveryId} AND token = {message.Token} AND status IN ({DeliveryStatuses.Pending}, {DeliveryStatuses.Sending})
                RETURNING *
                """)
            .AsNoTracking()
            .ToListAsync(cancellationToken);
        if (claimed.Count == 0)
        {
            Log.Stale(logger, message.DeliveryId);
            return;
        }

        var delivery = claimed[0];
        var started = time.GetTimestamp();
        string? result = null;
        DeliveryFailedException? failure = null;
        try
        {
            result = await attempts.RunAsync(delivery, cancellationToken);
        }
        catch (DeliveryFailedException e)
        {
            failure = e;
        }

        var elapsed = time.GetElapsedTime(started);
        var finished = time.GetUtcNow();
        if (failure is null)
        {
            await RecordAsync(message, DeliveryStatuses.Delivered, null, null, delivery.LastError, result, finished, cancellationToken);
            metrics.Attempted(delivery.Kind, HubMetrics.Delivered, elapsed);
            Log.Delivered(logger, delivery.Id, delivery.Kind, delivery.EventType, delivery.RunId, delivery.Attempts);
            return;
        }

        var settings = options.Value;
        var policy = new RetryPolicy(settings.MaxAttempts, BackoffKind.Exponential, settings.RetryDelay, settings.MaxRetryDelay, Jitter: true);
        if (Backoff.NextDelay(policy, delivery.Attempts, failure.Retryable, Random.Shared.NextDouble()) is { } delay)
        {
            var due = finished + delay;
            delivery.Token = Guid.NewGuid();
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            if (await RecordAsync(message, DeliveryStatuses.Pending, delivery.Token, due, failure.Message, null, finished, cancellationToken))
            {
                HubOutbox.ScheduleAttempt(db, delivery, finished, due);
                await db.SaveChangesAsync(cancellationToken);
            }

            await transaction.CommitAsync(CancellationToken.None);
            metrics.Attempted(delivery.Kind, HubMetrics.Retrying, elapsed);
            Log.Retrying(logger, delivery.Id, delivery.Kind, delivery.Attempts, due, failure.Message);
            return;
        }

        await RecordAsync(message, DeliveryStatuses.Dead, null, null, failure.Message, null, finished, cancellationToken);
        metrics.Attempted(delivery.Kind, HubMetrics.DeadLettered, elapsed);
        Log.DeadLettered(logger, delivery.Id, delivery.Kind, delivery.Attempts, failure.Message);
    }

    /// <summary>Writes the attempt's outcome if the delivery still holds this message's token (a redrive may have replaced it).</summary>
    private async Task<bool> RecordAsync(
        DeliverEvent message, string status, Guid? token, DateTimeOffset? next, string? error, string? result, DateTimeOffset now, CancellationToken cancellationToken)
    {
        DateTimeOffset? deliveredAt = status == DeliveryStatuses.Delivered ? now : null;
        return await db.Database.ExecuteSqlInterpolatedAsync(
            $"""
            UPDATE hub_deliveries
            SET status = {status}, token = {token}, next_attempt_at = {next}, last_error = {error}, result = COALESCE({result}, result),
                delivered_at = COALESCE({deliveredAt}, delivered_at), updated_at = {now}
            WHERE id = {message.DeliveryId} AND token = {message.Token} AND status = {DeliveryStatuses.Sending}
            """,
            cancellationToken) == 1;
    }
}
