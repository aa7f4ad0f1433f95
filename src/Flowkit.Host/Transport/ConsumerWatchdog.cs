using Flowkit.Api.Health;
using Flowkit.Api.Ops;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Flowkit.Host.Transport;

/// <summary>
/// Restarts the bus when the broker answers but a queue this process should consume from has had no consumer for
/// longer than <see cref="TransportOptions.ConsumerLossLimit"/>. MassTransit 8.5 reconnects
/// receive endpoints after a broker restart, but an endpoint whose restart waits on consumers still running (a report
/// waiting for the broker, a message retrying through an outage) can stay without a consumer on the broker while it
/// reports itself healthy; this is the last resort that makes recovery not depend on a person restarting the host.
/// The broker's consumer count of a queue covers every process: with several replicas, a queue that others still
/// consume is not restarted for (the work goes on), and readiness reports this process's own endpoints.
/// </summary>
internal sealed class ConsumerWatchdog(
    IBusControl bus,
    RabbitMqManagement management,
    ConsumedQueues consumed,
    TimeProvider time,
    IOptions<TransportOptions> options,
    ILogger<ConsumerWatchdog> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!management.IsConfigured || consumed.Names.Count == 0)
        {
            return;
        }

        var settings = options.Value;
        using var timer = new PeriodicTimer(settings.ConsumerCheckInterval, time);
        DateTimeOffset? missingSince = null;
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            IReadOnlyList<string> missing;
            try
            {
                missing = await MissingAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !stoppingToken.IsCancellationRequested)
            {
                // The broker is away: nothing to reconnect to yet; MassTransit keeps trying on its own.
                missingSince = null;
                continue;
            }

            var now = time.GetUtcNow();
            if (missing.Count == 0)
            {
                missingSince = null;
                continue;
            }

            missingSince ??= now;
            if (now - missingSince.Value < settings.ConsumerLossLimit)
            {
                continue;
            }

            Log.RestartingBus(logger, string.Join(", ", missing), (now - missingSince.Value).TotalSeconds);
            using (var stop = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken))
            {
                stop.CancelAfter(settings.RestartStopTimeout);
                try
                {
                    await bus.StopAsync(stop.Token);
                }
                catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                {
                    // Consumers still running after the timeout are abandoned; their messages return to the queue.
                }
            }

            await bus.StartAsync(stoppingToken);
            Log.BusRestarted(logger);
            missingSince = null;
        }
    }

    private async Task<IReadOnlyList<string>> MissingAsync(CancellationToken cancellationToken)
    {
        var queues = (await management.QueuesAsync(cancellationToken)).ToDictionary(q => q.Name, StringComparer.Ordinal);
        return [.. consumed.Names.Where(n => !queues.TryGetValue(n, out var q) || q.Consumers == 0)];
    }
}
