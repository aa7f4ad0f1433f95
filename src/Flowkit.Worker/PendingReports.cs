using System.Collections.Concurrent;
using Flowkit.Contracts;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace Flowkit.Worker;

/// <summary>
/// Reports that could not be published yet (the broker is away), kept in memory and retried in the background
/// (backing off to 5 s) until each one's attempt deadline plus <see cref="WorkerOptions.ReportGrace"/>. The consumer
/// hands its report here and returns instead of waiting: MassTransit restarts a receive endpoint, and recycles the
/// broker connection every endpoint shares, only once the consumers it was running have returned, so a consumer that
/// waits for the broker keeps every endpoint of the process without consumers (the "0 consumers until restarted by
/// hand" of issue #10). Every copy of a report carries the attempt's one MessageId (<see cref="StepReports.MessageId(StepFinished)"/>).
/// </summary>
public sealed class PendingReports(IBus bus, TimeProvider time, ILogger<PendingReports> logger) : IDisposable
{
    private readonly ConcurrentDictionary<Guid, (StepFinished Report, DateTimeOffset Until)> _pending = new();
    private readonly CancellationTokenSource _disposed = new();
    private int _draining;

    /// <summary>Reports waiting for the broker now.</summary>
    public int Count => _pending.Count;

    /// <summary>Publishes one report once, bounded to <paramref name="limit"/>; throws when it could not.</summary>
    public async Task PublishAsync(StepFinished report, TimeSpan limit)
    {
        ArgumentNullException.ThrowIfNull(report);
        using var tryLimit = new CancellationTokenSource(limit, time);
        var messageId = StepReports.MessageId(report);
        await bus.Publish(report, Pipe.Execute<PublishContext<StepFinished>>(c => c.MessageId = messageId), tryLimit.Token);
    }

    /// <summary>Keeps a report to publish in the background until <paramref name="until"/>.</summary>
    public void Add(StepFinished report, DateTimeOffset until)
    {
        ArgumentNullException.ThrowIfNull(report);
        _pending[StepReports.MessageId(report)] = (report, until);
        if (Interlocked.CompareExchange(ref _draining, 1, 0) == 0)
        {
            _ = Task.Run(DrainAsync);
        }
    }

    public void Dispose()
    {
        _disposed.Cancel();
        _disposed.Dispose();
    }

    private async Task DrainAsync()
    {
        var delay = TimeSpan.FromMilliseconds(200);
        try
        {
            while (!_pending.IsEmpty)
            {
                // An in-memory backoff between publish tries, not a durable wait: the attempt's message is redelivered
                // (and answered from StepReports) if this process dies first.
                await Task.Delay(delay, time, _disposed.Token);
                var failed = false;
                foreach (var (id, (report, until)) in _pending)
                {
                    if (time.GetUtcNow() > until)
                    {
                        _pending.TryRemove(id, out _);
                        Log.ReportAbandoned(logger, report.StepId, report.Attempt);
                        continue;
                    }

                    try
                    {
                        await PublishAsync(report, TimeSpan.FromSeconds(10));
                        _pending.TryRemove(id, out _);
                        Log.ReportPublishedLater(logger, report.StepId, report.Attempt);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException || !_disposed.IsCancellationRequested)
                    {
                        failed = true;
                    }
                }

                delay = failed ? TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks)) : TimeSpan.FromMilliseconds(200);
            }
        }
        catch (OperationCanceledException)
        {
            // Disposed: the process is stopping; unpublished reports are answered again after the redelivery.
        }
        catch (ObjectDisposedException)
        {
        }
        finally
        {
            Volatile.Write(ref _draining, 0);
        }
    }
}
