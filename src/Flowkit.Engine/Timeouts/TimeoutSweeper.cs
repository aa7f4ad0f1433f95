using Flowkit.Contracts;
using Flowkit.Persistence;
using Flowkit.Sagas;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Flowkit.Engine.Timeouts;

/// <summary>
/// Finds running steps whose attempt deadline has passed (a worker died or hangs) and tells the run saga. The
/// deadline is durable state in the step row, so this works after any restart; each timeout is sent with a
/// MessageId derived from (run, step, attempt, deadline), so repeats from another engine or a later sweep are recognised by
/// the saga's inbox, and a late one is ignored by state. After its start and after an outage it waits
/// <see cref="SweeperOptions.Grace"/> first, so that reports which waited out the outage win over the deadline.
/// </summary>
internal sealed partial class TimeoutSweeper(
    IServiceScopeFactory scopes, IBus bus, TimeProvider time, IOptions<SweeperOptions> options, ILogger<TimeoutSweeper> logger) : BackgroundService
{
    private readonly Dictionary<Guid, DateTimeOffset> _recentlySent = [];

    /// <summary>Deadlines are not acted on before this (see <see cref="SweeperOptions.Grace"/>).</summary>
    private DateTimeOffset _quietUntil;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _quietUntil = time.GetUtcNow() + options.Value.Grace;
        using var timer = new PeriodicTimer(options.Value.Interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await SweepAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // An outage: reports delayed by it come first once it is over.
                _quietUntil = time.GetUtcNow() + options.Value.Grace;
                LogSweepFailed(logger, ex);
            }
        }
    }

    private async Task SweepAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (now < _quietUntil)
        {
            return;
        }

        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<FlowkitDbContext>();
        var due = await db.Steps.AsNoTracking()
            .Where(s => s.Status == Flowkit.Sagas.Planning.StepStatus.Running && s.DeadlineAt != null && s.DeadlineAt <= now)
            .OrderBy(s => s.DeadlineAt)
            .Select(s => new { s.RunId, s.StepId, s.Attempt, s.DeadlineAt })
            .Take(options.Value.BatchSize)
            .ToListAsync(cancellationToken);

        // Items of for-each steps keep their deadlines in their own rows (a partial index over running items serves this).
        var dueItems = await db.StepItems.AsNoTracking()
            .Where(s => s.Status == Flowkit.Sagas.Planning.StepStatus.Running && s.DeadlineAt != null && s.DeadlineAt <= now)
            .OrderBy(s => s.DeadlineAt)
            .Select(s => new { s.RunId, s.StepId, s.Index, s.Attempt, s.DeadlineAt })
            .Take(options.Value.BatchSize)
            .ToListAsync(cancellationToken);

        foreach (var stale in _recentlySent.Where(e => now - e.Value > options.Value.ResendAfter).Select(e => e.Key).ToList())
        {
            _recentlySent.Remove(stale);
        }

        if (due.Count == 0 && dueItems.Count == 0)
        {
            return;
        }

        var endpoint = await bus.GetSendEndpoint(new Uri($"queue:{EngineQueues.Runs}"));
        foreach (var step in due)
        {
            // One id per deadline: an attempt sent again (ExecuteStep's Delivery) has a new deadline, whose timeout the
            // saga's inbox must not take for a repeat of the first.
            var messageId = TimerTokens.For($"timeout@{step.DeadlineAt!.Value.UtcTicks}", step.RunId, step.StepId, step.Attempt);
            if (!_recentlySent.TryAdd(messageId, now))
            {
                continue;
            }

            await endpoint.Send(
                new StepTimedOut { RunId = step.RunId, StepId = step.StepId, Attempt = step.Attempt, Timestamp = now },
                Pipe.Execute<SendContext>(c => c.MessageId = messageId),
                cancellationToken);
        }

        foreach (var item in dueItems)
        {
            var messageId = TimerTokens.For($"timeout@{item.DeadlineAt!.Value.UtcTicks}", item.RunId, StepKeys.Of(item.StepId, item.Index), item.Attempt);
            if (!_recentlySent.TryAdd(messageId, now))
            {
                continue;
            }

            await endpoint.Send(
                new StepTimedOut { RunId = item.RunId, StepId = item.StepId, Item = item.Index, Attempt = item.Attempt, Timestamp = now },
                Pipe.Execute<SendContext>(c => c.MessageId = messageId),
                cancellationToken);
        }

        LogSent(logger, due.Count + dueItems.Count);
    }

    [LoggerMessage(2301, LogLevel.Information, "{Count} step attempts passed their deadline; the saga was told")]
    private static partial void LogSent(ILogger logger, int count);

    [LoggerMessage(2302, LogLevel.Warning, "Timeout sweep failed; it runs again at the next interval")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
