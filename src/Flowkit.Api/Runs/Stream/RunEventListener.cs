using Flowkit.Persistence;
using Flowkit.Persistence.Migrations;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Flowkit.Api.Runs.Stream;

/// <summary>
/// Holds one PostgreSQL connection per API process listening on <see cref="RunEventNotify.Channel"/>, and wakes the
/// open streams of a run when a commit added events to its timeline, whichever process (engine, watchdog, another
/// API) wrote them. A notification is only a hint: the stream reads the table after its last event, so nothing is
/// missed or sent twice. When the connection drops, every stream is woken (it reads what it may have missed) and the
/// listener connects again.
/// </summary>
internal sealed partial class RunEventListener(
    IServiceScopeFactory scopes, IOptions<RunStreamOptions> options, TimeProvider time, ILogger<RunEventListener> logger) : BackgroundService
{
    private readonly Dictionary<Guid, List<RunEventWaiter>> _waiters = [];
    private readonly Lock _lock = new();
    private int _open;

    /// <summary>Streams open in this process.</summary>
    public int Open => Volatile.Read(ref _open);

    /// <summary>
    /// A waiter for <paramref name="runId"/>'s events, or null when this process already serves
    /// <see cref="RunStreamOptions.MaxStreams"/> streams. Take it before the first read, so that no commit between
    /// the read and the wait goes unnoticed.
    /// </summary>
    public RunEventWaiter? Subscribe(Guid runId)
    {
        if (Interlocked.Increment(ref _open) > options.Value.MaxStreams)
        {
            Interlocked.Decrement(ref _open);
            return null;
        }

        var waiter = new RunEventWaiter(runId, Release);
        lock (_lock)
        {
            if (!_waiters.TryGetValue(runId, out var waiters))
            {
                _waiters[runId] = waiters = [];
            }

            waiters.Add(waiter);
        }

        return waiter;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        string connectionString;
        await using (var scope = scopes.CreateAsyncScope())
        {
            connectionString = scope.ServiceProvider.GetRequiredService<FlowkitDbContext>().Database.GetConnectionString()!;
        }

        // Keepalives find a connection that died silently; the streams' heartbeat reads cover the time until then.
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { KeepAlive = 15, ApplicationName = "flowkit-run-stream" };
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = new NpgsqlConnection(builder.ConnectionString);
                await connection.OpenAsync(stoppingToken);
                connection.Notification += (_, e) => Notified(e.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN {RunEventNotify.Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                LogListening(logger);
                WakeAll(); // what was committed while nobody listened
                while (true)
                {
                    await connection.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or System.Net.Sockets.SocketException or IOException or TimeoutException)
            {
                LogConnectionLost(logger, ex);
                WakeAll();
                try
                {
                    await Task.Delay(options.Value.ReconnectDelay, time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private void Notified(string payload)
    {
        if (!Guid.TryParse(payload, out var runId))
        {
            return;
        }

        RunEventWaiter[] woken;
        lock (_lock)
        {
            woken = _waiters.TryGetValue(runId, out var waiters) ? [.. waiters] : [];
        }

        foreach (var waiter in woken)
        {
            waiter.Wake();
        }
    }

    private void WakeAll()
    {
        RunEventWaiter[] woken;
        lock (_lock)
        {
            woken = [.. _waiters.Values.SelectMany(w => w)];
        }

        foreach (var waiter in woken)
        {
            waiter.Wake();
        }
    }

    private void Release(RunEventWaiter waiter)
    {
        Interlocked.Decrement(ref _open);
        lock (_lock)
        {
            if (_waiters.TryGetValue(waiter.RunId, out var waiters) && waiters.Remove(waiter) && waiters.Count == 0)
            {
                _waiters.Remove(waiter.RunId);
            }
        }
    }

    [LoggerMessage(1801, LogLevel.Debug, "Listening for run timeline notifications")]
    private static partial void LogListening(ILogger logger);

    [LoggerMessage(1802, LogLevel.Warning, "Lost the connection that listens for run timeline notifications; open run streams read the timeline on their heartbeat until it is back")]
    private static partial void LogConnectionLost(ILogger logger, Exception exception);
}
