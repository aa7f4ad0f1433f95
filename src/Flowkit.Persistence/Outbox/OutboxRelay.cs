using System.Diagnostics;
using System.Text.Json;
using Flowkit.Contracts;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Flowkit.Persistence.Outbox;

/// <summary>
/// Delivers committed outbox rows whose due time has come: claims a batch with <c>FOR UPDATE SKIP LOCKED</c> (so
/// relays of several processes never send one row twice at once), sends each with publisher confirms, deletes the
/// sent rows and commits. A crash after a send and before the commit resends that row later with the same
/// MessageId, which the consumer's inbox recognises. Timers are rows with a future due time: durable time.
/// </summary>
internal sealed partial class OutboxRelay(
    IServiceScopeFactory scopes,
    OutboxSignal signal,
    IBus bus,
    IOptions<OutboxOptions> options,
    TimeProvider time,
    ILogger<OutboxRelay> logger) : BackgroundService
{
    internal static readonly ActivitySource Source = new("Flowkit.Outbox");
    private static readonly System.Reflection.Assembly Contracts = typeof(StartRun).Assembly;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;

        // The earliest future due time this process wrote (timers): the relay wakes for it without asking the
        // database. Rows of other processes are found by the poll.
        DateTimeOffset? nextLocalDue = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            TimeSpan wait;
            try
            {
                var (claimed, sent) = await RelayBatchAsync(settings.BatchSize, stoppingToken);
                if (sent < claimed)
                {
                    // Some rows could not be sent (the broker is down?): back off instead of spinning.
                    wait = settings.PollInterval;
                }
                else if (claimed == settings.BatchSize)
                {
                    continue;
                }
                else
                {
                    var now = time.GetUtcNow();
                    if (nextLocalDue <= now)
                    {
                        nextLocalDue = null;
                    }

                    wait = nextLocalDue is { } due && due - now < settings.PollInterval ? due - now : settings.PollInterval;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The broker or the database is unavailable: rows stay and are sent when it is back.
                LogRelayFailed(logger, ex);
                wait = settings.PollInterval;
            }

            if (wait > TimeSpan.Zero && await signal.WaitAsync(wait, stoppingToken) is { } notified && notified > time.GetUtcNow())
            {
                nextLocalDue = nextLocalDue is { } known && known < notified ? known : notified;
            }
        }
    }

    private async Task<(int Claimed, int Sent)> RelayBatchAsync(int batchSize, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<FlowkitDbContext>();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var now = time.GetUtcNow();
        var rows = await db.Outbox
            .FromSql($"SELECT * FROM outbox WHERE due_at <= {now} ORDER BY due_at, sequence LIMIT {batchSize} FOR UPDATE SKIP LOCKED")
            .AsNoTracking()
            .ToListAsync(cancellationToken);
        if (rows.Count == 0)
        {
            await transaction.CommitAsync(cancellationToken);
            return (0, 0);
        }

        var results = await Task.WhenAll(rows.Select(row => TrySendAsync(row, cancellationToken)));
        var sent = rows.Where((_, i) => results[i]).Select(r => r.Sequence).ToArray();
        await db.Outbox.Where(m => sent.Contains(m.Sequence)).ExecuteDeleteAsync(cancellationToken);

        // Commit with None: the messages are out; dropping the deletes now would only cause duplicates.
        await transaction.CommitAsync(CancellationToken.None);
        return (rows.Count, sent.Length);
    }

    private async Task<bool> TrySendAsync(OutboxMessageRow row, CancellationToken cancellationToken)
    {
        using var activity = Source.StartActivity("outbox send", ActivityKind.Producer, row.TraceParent);
        try
        {
            var type = Contracts.GetType(row.MessageType, throwOnError: false)
                ?? throw new InvalidOperationException($"Outbox row {row.Sequence} has an unknown message type '{row.MessageType}'.");
            var message = JsonSerializer.Deserialize(row.Body, type, EfOutbox.Json)!;
            if (row.Destination == "publish")
            {
                await bus.Publish(message, type, Pipe.Execute<PublishContext>(c => c.MessageId = row.MessageId), cancellationToken);
            }
            else
            {
                var endpoint = await bus.GetSendEndpoint(new Uri(row.Destination));
                await endpoint.Send(message, type, Pipe.Execute<SendContext>(c => c.MessageId = row.MessageId), cancellationToken);
            }

            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogSendFailed(logger, row.Sequence, row.MessageType, ex);
            return false;
        }
    }

    [LoggerMessage(2101, LogLevel.Warning, "Outbox relay round failed; retrying")]
    private static partial void LogRelayFailed(ILogger logger, Exception exception);

    [LoggerMessage(2102, LogLevel.Error, "Outbox row {Sequence} ({MessageType}) could not be sent; it stays and is retried")]
    private static partial void LogSendFailed(ILogger logger, long sequence, string messageType, Exception exception);
}

/// <summary>Deletes inbox rows older than the retention window, on a schedule.</summary>
internal sealed partial class InboxCleanup(IServiceScopeFactory scopes, IOptions<OutboxOptions> options, TimeProvider time, ILogger<InboxCleanup> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.CleanupInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<FlowkitDbContext>();
                var before = time.GetUtcNow() - options.Value.InboxRetention;
                var deleted = await db.Inbox.Where(m => m.ReceivedAt < before).ExecuteDeleteAsync(stoppingToken);
                LogCleaned(logger, deleted);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogCleanupFailed(logger, ex);
            }
        }
    }

    [LoggerMessage(2111, LogLevel.Debug, "Inbox cleanup deleted {Count} rows")]
    private static partial void LogCleaned(ILogger logger, int count);

    [LoggerMessage(2112, LogLevel.Warning, "Inbox cleanup failed; it runs again at the next interval")]
    private static partial void LogCleanupFailed(ILogger logger, Exception exception);
}
