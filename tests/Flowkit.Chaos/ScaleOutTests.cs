using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Flowkit.Testing;
using Npgsql;

namespace Flowkit.Chaos;

/// <summary>
/// Scale-out (issue #15): Flowkit as separate processes on loopback (the suite's API and two engines, and workers
/// started and stopped here) under a steady load of runs whose three http steps each take a second at the target
/// (I/O-bound work, eight at a time per worker). Throughput is measured with one, two and three workers; then,
/// still under load, a worker is stopped (SIGTERM, as a scale-down), another is killed (SIGKILL) and restarted, and
/// one is added. Every accepted run must succeed and nothing may be dead-lettered. Figures go to the test output
/// and <c>artifacts/scale/figures.md</c> (<c>make scale</c>; docs/benchmarks.md). Throughput is reported, never
/// asserted (CONVENTIONS.md section 8).
/// </summary>
[Collection(ChaosCollection.Name)]
public sealed class ScaleOutTests(ChaosCluster cluster)
{
    /// <summary>Steps each worker runs at once on the http queue (Flowkit:Worker:ConcurrencyLimit).</summary>
    private const int PerWorker = 8;

    /// <summary>
    /// Runs kept in flight per running worker: twice what the workers run at once, so that every worker always has
    /// steps waiting but a step waits in the queue about a second, not minutes. (A step's timeout also covers its
    /// time in the queue; a backlog out of proportion to the workers fails steps by their timeout, which is the
    /// timeout's job, not this scenario's.)
    /// </summary>
    private const int RunsPerWorker = 2 * PerWorker;

    private int _runsInFlight = RunsPerWorker;

    private static readonly TimeSpan Window = TimeSpan.FromSeconds(20);

    private static readonly Dictionary<string, string?> WorkerSettings = new()
    {
        ["Flowkit:Worker:ConcurrencyLimit"] = PerWorker.ToString(CultureInfo.InvariantCulture),
    };

    [Fact]
    public async Task Workers_StoppedAndAddedUnderLoad_EveryRunSucceeds()
    {
        var total = Stopwatch.StartNew();
        await using var target = await ChaosTarget.StartAsync();
        using var client = cluster.Client();
        await cluster.WaitReadyAsync(TimeSpan.FromMinutes(2));

        // The suite's workers are replaced by workers of a known concurrency, one at first.
        for (var i = 0; i < 16; i++)
        {
            await cluster.StopWorkerIfRunningAsync(i, TimeSpan.FromMinutes(1));
        }

        var first = cluster.AddWorker(WorkerSettings);
        await WaitForWorkersAsync(1);

        var workflow = $"scale-{Guid.NewGuid().ToString("N")[..8]}";
        await CreateWorkflowAsync(client, workflow, target);
        var accepted = new ConcurrentBag<Guid>();
        using var stop = new CancellationTokenSource();
        var load = Task.Run(() => LoadAsync(client, workflow, target, accepted, stop.Token), TestContext.Current.CancellationToken);
        await Eventually.UntilAsync(() => Task.FromResult(target.Calls.Count), n => n >= 3 * PerWorker, TimeSpan.FromMinutes(2), "the load to warm up");

        var windows = new List<ScaleWindow> { await MeasureAsync(target, 1) };
        var second = cluster.AddWorker(WorkerSettings);
        await WaitForWorkersAsync(2);
        Volatile.Write(ref _runsInFlight, 2 * RunsPerWorker);
        windows.Add(await MeasureAsync(target, 2));
        cluster.AddWorker(WorkerSettings);
        await WaitForWorkersAsync(3);
        Volatile.Write(ref _runsInFlight, 3 * RunsPerWorker);
        windows.Add(await MeasureAsync(target, 3));

        // Churn under load: a scale-down (SIGTERM), a crash (SIGKILL, restarted), a scale-up.
        var killsBefore = cluster.Kills;
        await cluster.StopWorkerAsync(first, TimeSpan.FromMinutes(1));
        await Eventually.UntilAsync(() => Task.FromResult(target.InFlight), n => n > 0, TimeSpan.FromMinutes(1), "a step running at the target");
        cluster.KillAndRestartWorker(second);
        cluster.AddWorker(WorkerSettings);
        await WaitForWorkersAsync(3);
        var acceptedBeforeStop = accepted.Count;
        await Eventually.UntilAsync(() => Task.FromResult(accepted.Count), n => n >= acceptedBeforeStop + 20, TimeSpan.FromMinutes(2), "20 more runs accepted after the churn");

        await stop.CancelAsync();
#pragma warning disable VSTHRD003 // The load loop is this test's own task (Task.Run above).
        await load;
#pragma warning restore VSTHRD003
        var ids = accepted.ToArray();
        var drain = Stopwatch.StartNew();
        var states = await Eventually.UntilAsync(
            () => StatesAsync(ids),
            s => s.Count == ids.Length && s.Values.All(v => v is "Succeeded" or "Failed" or "Cancelled"),
            ChaosVerdict.Bound,
            $"every one of {ids.Length} accepted runs to end");
        drain.Stop();
        var deadLetters = await cluster.DeadLettersAsync();
        var redelivered = target.Calls.Values.Sum(c => c - 1);

        var figures = Figures(windows, ids.Length, states, redelivered, deadLetters, cluster.Kills - killsBefore, drain.Elapsed, total.Elapsed);
        TestContext.Current.TestOutputHelper?.WriteLine(figures);
        Write(figures);
        var failed = states.Where(s => s.Value != "Succeeded").Select(s => s.Key).ToArray();
        var errors = failed.Length == 0 ? "" : string.Join(Environment.NewLine, await FailedStepsAsync(failed));
        states.Values.Should().AllBe("Succeeded", $"{figures}{Environment.NewLine}{errors}{Environment.NewLine}{cluster.Output()}");
        deadLetters.Should().Be(0);
    }

    /// <summary>Waits until the http queue has exactly <paramref name="count"/> consumers (one per worker process).</summary>
    private Task<IReadOnlyList<BrokerQueue>> WaitForWorkersAsync(int count) =>
        Eventually.UntilAsync(
            cluster.RabbitMq.QueuesAsync,
            queues => queues.Any(q => q.Name == "flowkit-steps-http" && q.Consumers == count),
            TimeSpan.FromMinutes(3),
            $"exactly {count} workers consuming flowkit-steps-http");

    /// <summary>Steps finished at the target during <see cref="Window"/>, once the workers are busy (or 30 s have passed).</summary>
    private static async Task<ScaleWindow> MeasureAsync(ChaosTarget target, int workers)
    {
        var settle = Stopwatch.StartNew();
        await Eventually.UntilAsync(
            () => Task.FromResult((target.InFlight, settle.Elapsed)),
            s => s.InFlight >= (PerWorker * workers * 3 / 4) || s.Elapsed > TimeSpan.FromSeconds(30),
            TimeSpan.FromMinutes(1),
            $"{workers} workers to be busy");
        var from = target.Calls.Values.Sum();
        var load = LoadAverage();
        var clock = Stopwatch.StartNew();
        await Eventually.UntilAsync(() => Task.FromResult(clock.Elapsed), e => e >= Window, Window + TimeSpan.FromSeconds(30), "the measurement window");
        var steps = target.Calls.Values.Sum() - from;
        return new ScaleWindow(workers, steps, clock.Elapsed, (load + LoadAverage()) / 2);
    }

    /// <summary>Starts runs so that about <see cref="_runsInFlight"/> are unfinished at any time.</summary>
    private async Task LoadAsync(HttpClient client, string workflow, ChaosTarget target, ConcurrentBag<Guid> accepted, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
        var n = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                var finished = target.Calls.Keys.Count(k => k.EndsWith(":c3", StringComparison.Ordinal));
                while (accepted.Count - finished < Volatile.Read(ref _runsInFlight) && !cancellationToken.IsCancellationRequested)
                {
                    try
                    {
                        using var response = await client.PostAsJsonAsync(new Uri($"/api/v1/workflows/{workflow}/runs", UriKind.Relative), new { input = new { n = ++n } }, CancellationToken.None);
                        if (response.StatusCode == HttpStatusCode.Accepted)
                        {
                            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(CancellationToken.None));
                            accepted.Add(body.RootElement.GetProperty("runId").GetGuid());
                        }
                    }
                    catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                    {
                        // Unanswered on an overloaded machine: not accepted as far as the load knows; the next tick tries again.
                        break;
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The test stopped the load.
        }
    }

    /// <summary>
    /// Three http steps with retries, as a user makes a step robust: a step attempt's deadline runs from its dispatch,
    /// so an attempt whose message waited behind a stopped or killed worker can time out before it starts
    /// (docs/reliability.md, the open item on a step's deadline); without retries 2 of 1,053 runs failed so.
    /// </summary>
    private static async Task CreateWorkflowAsync(HttpClient client, string name, ChaosTarget target)
    {
        var slow = new Uri(target.Address, "slow");
        var yaml = $$$"""
            name: {{{name}}}
            steps:
              - { id: c1, type: http, with: { method: POST, url: "{{{slow}}}" }, timeout: 30s, retry: { attempts: 3, backoff: fixed, delay: 1s } }
              - { id: c2, type: http, with: { method: POST, url: "{{{slow}}}" }, timeout: 30s, retry: { attempts: 3, backoff: fixed, delay: 1s } }
              - { id: c3, type: http, with: { method: POST, url: "{{{slow}}}" }, timeout: 30s, retry: { attempts: 3, backoff: fixed, delay: 1s } }
            """;
        // Retried when unanswered (this machine is shared and loaded); 409 means an unanswered try created it.
        var status = await Eventually.UntilAsync(
            async () =>
            {
                try
                {
                    using var content = new StringContent(yaml, Encoding.UTF8, "application/yaml");
                    using var response = await client.PostAsync(new Uri("/api/v1/workflows", UriKind.Relative), content);
                    return response.StatusCode;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    return (HttpStatusCode)0;
                }
            },
            s => s != 0,
            TimeSpan.FromMinutes(2),
            "the workflow to be created");
        status.Should().BeOneOf(HttpStatusCode.Created, HttpStatusCode.Conflict);
    }

    private async Task<Dictionary<Guid, string>> StatesAsync(Guid[] ids)
    {
        await using var connection = new NpgsqlConnection(cluster.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT id, current_state FROM runs WHERE id = ANY(@ids)", connection);
        command.Parameters.AddWithValue("ids", ids);
        await using var reader = await command.ExecuteReaderAsync();
        var states = new Dictionary<Guid, string>();
        while (await reader.ReadAsync())
        {
            states[reader.GetGuid(0)] = reader.GetString(1);
        }

        return states;
    }

    private async Task<List<string>> FailedStepsAsync(Guid[] ids)
    {
        await using var connection = new NpgsqlConnection(cluster.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT step_id || ': ' || coalesce(error, '(none)'), count(*) FROM run_steps
            WHERE run_id = ANY(@ids) AND status = 'failed' GROUP BY 1 ORDER BY 2 DESC LIMIT 5
            """, connection);
        command.Parameters.AddWithValue("ids", ids);
        await using var reader = await command.ExecuteReaderAsync();
        var errors = new List<string>();
        while (await reader.ReadAsync())
        {
            errors.Add($"failed steps: {reader.GetInt64(1)} x {reader.GetString(0)}");
        }

        return errors;
    }

    private static double LoadAverage() =>
        double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);

    private static string Figures(
        List<ScaleWindow> windows, int accepted, Dictionary<Guid, string> states, int redelivered, int deadLetters, int kills, TimeSpan drain, TimeSpan total)
    {
        var text = new StringBuilder();
        var baseline = windows[0].StepsPerSecond;
        text.AppendLine(CultureInfo.InvariantCulture, $"Scale-out, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores; one API, two engines; http steps of 1 s, {PerWorker} at a time per worker; {RunsPerWorker} runs kept in flight per worker; {Window.TotalSeconds:0} s windows.");
        text.AppendLine();
        text.AppendLine("| workers | steps in window | window | steps/s | steps/s per worker | vs 1 worker | load average (1 min) |");
        text.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var window in windows)
        {
            text.AppendLine(window.Row(baseline));
        }

        text.AppendLine();
        text.AppendLine("| runs accepted | succeeded | failed | not ended | redelivered step calls | dead letters | workers stopped (SIGTERM) / killed (SIGKILL) / added under load | drain | total |");
        text.AppendLine("|---|---|---|---|---|---|---|---|---|");
        text.AppendLine(CultureInfo.InvariantCulture,
            $"| {accepted} | {states.Values.Count(s => s == "Succeeded")} | {states.Values.Count(s => s == "Failed")} | {accepted - states.Values.Count(s => s is "Succeeded" or "Failed" or "Cancelled")} | {redelivered} | {deadLetters} | 1 / {kills} / 1 | {drain.TotalSeconds:0} s | {total.TotalSeconds:0} s |");
        return text.ToString();
    }

    private static void Write(string figures)
    {
        var dir = Path.Combine(ServiceEndpoints.RepositoryRoot(), "artifacts", "scale");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "figures.md"), figures);
    }
}
