using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Flowkit.Contracts;
using Flowkit.Persistence;
using Flowkit.Persistence.Outbox;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Flowkit.Engine.Outbox;

/// <summary>
/// Delivers committed outbox rows whose due time has come. A round claims a batch with a lease (one UPDATE with
/// <c>FOR UPDATE SKIP LOCKED</c> that commits at once, so no row lock is held while the broker is slow or blocks
/// publishers), sends each with publisher confirms, then deletes the sent rows. A crash or a send that outlives the
/// lease lets another relay take the row again after <see cref="OutboxOptions.Lease"/>, with the same MessageId,
/// which the consumer's inbox recognises. A row that can never be sent (unknown message type, unreadable body, a
/// destination that is not an address) is parked: marked poisoned with the reason, logged and counted, and the
/// relay goes on. Timers are rows with a future due time: durable time.
/// </summary>
internal sealed partial class OutboxRelay(
    IServiceScopeFactory scopes,
    OutboxSignal signal,
    IBus bus,
    IOptions<OutboxOptions> options,
    TimeProvider time,
    EngineMetrics metrics,
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
                var (claimed, handled) = await RelayBatchAsync(settings, stoppingToken);
                if (handled < claimed)
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

    /// <summary>One round: claim, send, settle. Returns the rows claimed and those settled (sent or parked).</summary>
    private async Task<(int Claimed, int Handled)> RelayBatchAsync(OutboxOptions settings, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<FlowkitDbContext>();
        var now = time.GetUtcNow();

        // The claim is its own short transaction: the row locks last for this statement only. A row whose lease ran
        // out (its relay died or is stuck at the broker) is claimed again.
        var rows = await db.Outbox
            .FromSql($"""
                UPDATE outbox SET claimed_until = {now + settings.Lease}, attempts = attempts + 1
                WHERE sequence IN (
                    SELECT sequence FROM outbox
                    WHERE due_at <= {now} AND poisoned_at IS NULL AND (claimed_until IS NULL OR claimed_until < {now})
                    ORDER BY due_at, sequence
                    LIMIT {settings.BatchSize}
                    FOR UPDATE SKIP LOCKED)
                RETURNING *
                """)
            .AsNoTracking()
            .ToListAsync(cancellationToken);
        if (rows.Count == 0)
        {
            return (0, 0);
        }

        rows.Sort((a, b) => a.DueAt != b.DueAt ? a.DueAt.CompareTo(b.DueAt) : a.Sequence.CompareTo(b.Sequence));

        // A send may not outlive the lease: after it another relay may send the row too.
        using var lease = new CancellationTokenSource(settings.Lease, time);
        using var leased = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lease.Token);
        var results = await Task.WhenAll(rows.Select(row => TrySendAsync(row, leased.Token)));

        // Settle with None: the messages are out; dropping the deletes now would only cause duplicates.
        var sent = rows.Where((_, i) => results[i] is null).Select(r => r.Sequence).ToArray();
        if (sent.Length > 0)
        {
            await db.Database.ExecuteSqlAsync($"DELETE FROM outbox WHERE sequence = ANY({sent})", CancellationToken.None);
        }

        var parked = 0;
        var failed = new List<long>();
        for (var i = 0; i < rows.Count; i++)
        {
            switch (results[i])
            {
                case Outcome.Poison poison:
                    await db.Database.ExecuteSqlAsync(
                        $"UPDATE outbox SET poisoned_at = {time.GetUtcNow()}, error = {poison.Reason}, claimed_until = NULL WHERE sequence = {rows[i].Sequence}",
                        CancellationToken.None);
                    metrics.OutboxPoisoned(rows[i].MessageType);
                    LogPoisoned(logger, rows[i].Sequence, rows[i].MessageType, rows[i].Destination, poison.Reason);
                    parked++;
                    break;
                case Outcome.Failed:
                    failed.Add(rows[i].Sequence);
                    break;
            }
        }

        if (failed.Count > 0)
        {
            // Give the failed rows back now instead of at the end of the lease; the back-off above paces the retry.
            var again = failed.ToArray();
            await db.Database.ExecuteSqlAsync($"UPDATE outbox SET claimed_until = NULL WHERE sequence = ANY({again})", CancellationToken.None);
        }

        metrics.OutboxSent(sent.Length);
        return (rows.Count, sent.Length + parked);
    }

    /// <summary>Sends one row; null when sent, else why not.</summary>
    private async Task<Outcome?> TrySendAsync(OutboxMessageRow row, CancellationToken cancellationToken)
    {
        if (Contracts.GetType(row.MessageType, throwOnError: false) is not { } type)
        {
            return new Outcome.Poison($"Unknown message type '{row.MessageType}': it is not a type of Flowkit.Contracts.");
        }

        object? message;
        try
        {
            message = JsonSerializer.Deserialize(row.Body, type, EfOutbox.Json);
        }
        catch (JsonException ex)
        {
            return new Outcome.Poison($"The body is not a {type.Name}: {ex.Message}");
        }

        if (message is null)
        {
            return new Outcome.Poison($"The body is null, not a {type.Name}.");
        }

        Uri? address = null;
        if (row.Destination != "publish" && (!QueueAddress().IsMatch(row.Destination) || !Uri.TryCreate(row.Destination, UriKind.Absolute, out address)))
        {
            return new Outcome.Poison($"'{row.Destination}' is not a destination: use queue:<name> (letters, digits, '.', '-', '_', ':') or publish.");
        }

        using var activity = Source.StartActivity("outbox send", ActivityKind.Producer, row.TraceParent);
        try
        {
            if (address is null)
            {
                await bus.Publish(message, type, Pipe.Execute<PublishContext>(c => c.MessageId = row.MessageId), cancellationToken);
            }
            else
            {
                var endpoint = await bus.GetSendEndpoint(address);
                await endpoint.Send(message, type, Pipe.Execute<SendContext>(c => c.MessageId = row.MessageId), cancellationToken);
            }

            return null;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogSendFailed(logger, row.Sequence, row.MessageType, ex);
            return new Outcome.Failed();
        }
    }

    [GeneratedRegex("^queue:[A-Za-z0-9._:-]+$")]
    private static partial Regex QueueAddress();

    [LoggerMessage(2101, LogLevel.Warning, "Outbox relay round failed; retrying")]
    private static partial void LogRelayFailed(ILogger logger, Exception exception);

    [LoggerMessage(2102, LogLevel.Error, "Outbox row {Sequence} ({MessageType}) could not be sent; it stays and is retried")]
    private static partial void LogSendFailed(ILogger logger, long sequence, string messageType, Exception exception);

    [LoggerMessage(2103, LogLevel.Error, "Outbox row {Sequence} ({MessageType} to {Destination}) can never be sent and was parked: {Reason}")]
    private static partial void LogPoisoned(ILogger logger, long sequence, string messageType, string destination, string reason);

    /// <summary>Why a row was not sent.</summary>
    private abstract record Outcome
    {
        /// <summary>It can never be sent: parked.</summary>
        public sealed record Poison(string Reason) : Outcome;

        /// <summary>The send failed (broker unavailable, lease ran out): tried again.</summary>
        public sealed record Failed : Outcome;
    }
}
