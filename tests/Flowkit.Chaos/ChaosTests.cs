using System.Diagnostics;
using Flowkit.Testing;

namespace Flowkit.Chaos;

/// <summary>
/// The fault suite (issue #10): under a steady load, one fault per scenario, then every accepted run and webhook
/// must end within <see cref="ChaosVerdict.Bound"/> with the outcome it would have had without the fault, every side
/// effect must belong to a recorded attempt, no webhook key may have two runs, no transition may happen twice, and no
/// message may be dead-lettered. Figures go to the test output and to <c>artifacts/chaos/figures.md</c>.
/// </summary>
[Collection(ChaosCollection.Name)]
public sealed class ChaosTests(ChaosCluster cluster)
{
    /// <summary>One request of the load every 200 ms: about 5 a second, across six kinds of work.</summary>
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);

    [Fact]
    public Task Workers_KilledMidStep_EveryRunEndsAsWithoutTheFault() =>
        RunAsync("worker SIGKILL mid-step", "a worker killed while a step runs at the target, four times (each worker twice, one at a time), and restarted", async load =>
        {
            var killsBefore = cluster.Kills;
            for (var i = 0; i < 4; i++)
            {
                await Eventually.UntilAsync(() => Task.FromResult(load.Target.InFlight), n => n > 0, TimeSpan.FromMinutes(1), "a step running at the target");
                cluster.KillAndRestartRunningWorker(i % 2);
                await load.AcceptedMoreAsync(6, TimeSpan.FromMinutes(2));

                // One worker dies at a time: the other takes over its steps. (With none alive, a step waits in its
                // queue, and one that waits longer than its timeout fails by it: that is the timeout's job.)
                await cluster.WaitForWorkersAsync(2, TimeSpan.FromMinutes(3));
            }

            (cluster.Kills - killsBefore).Should().Be(4, "four live worker processes were killed, whichever scenario ran before");
        });

    [Fact]
    public Task Engines_KilledAtRandomMoments_EveryRunEndsAsWithoutTheFault() =>
        RunAsync("engine SIGKILL x20", "an engine, picked at random, killed 20 times at random moments and restarted", async load =>
        {
            for (var i = 0; i < 20; i++)
            {
                // A random moment on the load's own clock: after 3 to 12 more accepted requests (0.6 s to 2.4 s).
                await load.AcceptedMoreAsync(Random.Shared.Next(3, 13), TimeSpan.FromMinutes(2));
                cluster.KillAndRestartEngine(Random.Shared.Next(2));
            }
        });

    [Theory]
    [InlineData(30)]
    [InlineData(120)]
    public Task Postgres_KilledAndKeptDown_EveryRunEndsAsWithoutTheFault(int seconds) =>
        RunAsync($"PostgreSQL down {seconds} s", $"PostgreSQL killed (SIGKILL), kept down {seconds} s, started again", async _ =>
        {
            cluster.Postgres.Kill();
            try
            {
                await HoldAsync(TimeSpan.FromSeconds(seconds), "PostgreSQL");
            }
            finally
            {
                await cluster.Postgres.RestartAsync();
            }
        });

    [Fact]
    public Task RabbitMq_KilledAndStarted_ConsumersReturnAndEveryRunEnds() =>
        RunAsync("RabbitMQ killed", "RabbitMQ killed (SIGKILL), down 15 s, started again", async _ =>
        {
            cluster.RabbitMq.Kill();
            try
            {
                await HoldAsync(TimeSpan.FromSeconds(15), "RabbitMQ");
            }
            finally
            {
                await cluster.RabbitMq.RestartAsync();
            }

            // No process is restarted: every endpoint must come back by itself.
            await cluster.WaitForConsumersAsync(TimeSpan.FromMinutes(2));
        });

    [Fact]
    public Task Redis_StoppedAndStarted_EveryRunEndsAsWithoutTheFault() =>
        RunAsync("Redis stopped", "Redis stopped, down 15 s, started again (empty)", async _ =>
        {
            cluster.Redis.Stop();
            try
            {
                await HoldAsync(TimeSpan.FromSeconds(15), "Redis");
            }
            finally
            {
                await cluster.Redis.RestartAsync();
            }
        });

    private async Task RunAsync(string scenario, string fault, Func<ChaosLoad, Task> inject)
    {
        var total = Stopwatch.StartNew();
        var killsBefore = cluster.Kills;
        await using var target = await ChaosTarget.StartAsync();
        using var client = cluster.Client();
        await using var load = new ChaosLoad(client, target);
        await cluster.WaitReadyAsync(TimeSpan.FromMinutes(2));
        await load.StartAsync(Interval);
        await load.AcceptedMoreAsync(12, TimeSpan.FromMinutes(1));

        await inject(load);

        // The load goes on after the fault, then stops; what was accepted must then end within the bound.
        await load.AcceptedMoreAsync(12, TimeSpan.FromMinutes(3));
        await load.StopAsync(TimeSpan.FromMinutes(2));
        var (figures, detail) = await ChaosVerdict.JudgeAsync(cluster, load, target, scenario, fault, total, killsBefore);

        TestContext.Current.TestOutputHelper?.WriteLine(ChaosFigures.Header);
        TestContext.Current.TestOutputHelper?.WriteLine(figures.Row());
        figures.Write();
        figures.Clean.Should().BeTrue($"{figures.Row()}{Environment.NewLine}{detail}{Environment.NewLine}{cluster.Output()}");
    }

    /// <summary>Keeps a service down for <paramref name="downtime"/> while the load goes on (a deadline on a condition, not a sleep).</summary>
    private static async Task HoldAsync(TimeSpan downtime, string service)
    {
        var down = Stopwatch.StartNew();
        await Eventually.UntilAsync(() => Task.FromResult(down.Elapsed), e => e >= downtime, downtime + TimeSpan.FromSeconds(30), $"{service} to have been down {downtime.TotalSeconds} s");
    }
}
