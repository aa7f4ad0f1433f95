using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using Flowkit.Testing;
using Npgsql;

namespace Flowkit.Chaos;

/// <summary>
/// Flowkit as an operator runs it, every part a separate OS process on loopback: one API, two engines and two
/// workers (<c>Flowkit__Roles</c>), against PostgreSQL, RabbitMQ and Redis of the suite's own (never the shared
/// ones), each of which a scenario may kill and start again. One per run of the suite.
/// </summary>
public sealed class ChaosCluster : IAsyncLifetime
{
    private const string Database = "flowkit_chaos";
    private readonly FlowkitProcess?[] _engines = new FlowkitProcess?[2];
    // A list: the scale-out scenario (ScaleOutTests) stops and adds workers; a stopped one stays as null.
    private readonly List<FlowkitProcess?> _workers = [];
    private readonly ConcurrentQueue<string> _retired = new();
    private FlowkitProcess? _api;

    public PrivatePostgres Postgres { get; private set; } = null!;

    public PrivateRabbitMq RabbitMq { get; private set; } = null!;

    public PrivateRedis Redis { get; private set; } = null!;

    /// <summary>Where the API process listens.</summary>
    public Uri ApiAddress { get; private set; } = null!;

    /// <summary>The connection string of Flowkit's database on the private PostgreSQL.</summary>
    public string ConnectionString { get; private set; } = "";

    /// <summary>How many engine and worker processes were killed with SIGKILL so far.</summary>
    public int Kills => _kills;

    private int _kills;

    public async ValueTask InitializeAsync()
    {
        var postgres = PrivatePostgres.StartAsync();
        var rabbit = PrivateRabbitMq.StartAsync();
        var redis = PrivateRedis.StartAsync();
        Postgres = await postgres;
        RabbitMq = await rabbit;
        Redis = await redis;
        await using (var connection = new NpgsqlConnection(Postgres.ConnectionString))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {Database}", connection);
            await create.ExecuteNonQueryAsync();
        }

        ConnectionString = new NpgsqlConnectionStringBuilder(Postgres.ConnectionString) { Database = Database }.ConnectionString;
        ApiAddress = new Uri($"http://127.0.0.1:{FreePort()}/");

        // The API migrates the database; the others start once it is ready, so no two processes migrate at once.
        _api = Start("api", new Dictionary<string, string?> { ["ASPNETCORE_URLS"] = ApiAddress.ToString().TrimEnd('/') });
        await WaitReadyAsync(TimeSpan.FromMinutes(3));
        for (var i = 0; i < 2; i++)
        {
            _engines[i] = Start("engine");
            _workers.Add(Start("worker"));
        }

        await WaitForConsumersAsync(TimeSpan.FromMinutes(3));
    }

    /// <summary>An HTTP client for the API process with the bootstrap key of workspace <c>default</c>.</summary>
    public HttpClient Client()
    {
        var client = new HttpClient { BaseAddress = ApiAddress, Timeout = TimeSpan.FromSeconds(15) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", FlowkitFixture.BootstrapKey);
        return client;
    }

    /// <summary>SIGKILLs engine <paramref name="index"/> and starts a new engine process in its place.</summary>
    public void KillAndRestartEngine(int index) => _engines[index] = KillAndRestart(_engines[index], "engine");

    /// <summary>SIGKILLs worker <paramref name="index"/> and starts a new worker process in its place.</summary>
    public void KillAndRestartWorker(int index) => _workers[index] = KillAndRestart(_workers[index], "worker");

    /// <summary>
    /// SIGKILLs the <paramref name="nth"/> worker that is running now (counting from 0 in start order, wrapping) and
    /// starts a new one in its place. A scenario after the scale-out test finds the suite's first workers stopped and
    /// others in later slots: this kills a live process whatever ran before.
    /// </summary>
    public void KillAndRestartRunningWorker(int nth)
    {
        var running = _workers.Select((w, i) => (w, i)).Where(x => x.w is { HasExited: false }).Select(x => x.i).ToArray();
        if (running.Length == 0)
        {
            throw new InvalidOperationException("No worker process is running to kill.");
        }

        KillAndRestartWorker(running[nth % running.Length]);
    }

    /// <summary>Worker processes running now.</summary>
    public int Workers => _workers.Count(w => w is { HasExited: false });

    /// <summary>Starts one more worker process (with <paramref name="settings"/> over the cluster's) and returns its index.</summary>
    public int AddWorker(IReadOnlyDictionary<string, string?>? settings = null)
    {
        _workers.Add(Start("worker", settings?.ToDictionary(kv => kv.Key, kv => kv.Value)));
        return _workers.Count - 1;
    }

    /// <summary>Stops worker <paramref name="index"/> (<see cref="StopWorkerAsync"/>) when there is one and it runs.</summary>
    public Task StopWorkerIfRunningAsync(int index, TimeSpan deadline) =>
        index < _workers.Count && _workers[index] is { HasExited: false } ? StopWorkerAsync(index, deadline) : Task.CompletedTask;

    /// <summary>
    /// Stops worker <paramref name="index"/> as Kubernetes or Compose scales one down: SIGTERM, then the process
    /// finishes what it runs within its shutdown grace and exits; SIGKILL only if it is still there after
    /// <paramref name="deadline"/>.
    /// </summary>
    public async Task StopWorkerAsync(int index, TimeSpan deadline)
    {
        var process = _workers[index];
        if (process is null)
        {
            return;
        }

        using (var term = System.Diagnostics.Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await term.WaitForExitAsync();
        }

        try
        {
            await Eventually.UntilAsync(() => Task.FromResult(process.HasExited), exited => exited, deadline, $"worker {index} to exit after SIGTERM");
        }
        finally
        {
            _retired.Enqueue($"--- stopped worker {index} ---{Environment.NewLine}{Tail(process.Output)}");
            process.Dispose();
            _workers[index] = null;
        }
    }

    /// <summary>The last lines of every Flowkit process, running and killed, for a failure message.</summary>
    public string Output()
    {
        var running = new[] { ("api", _api) }
            .Concat(_engines.Select((p, i) => ($"engine {i}", p)))
            .Concat(_workers.Select((p, i) => ($"worker {i}", p)))
            .Select(x => $"--- {x.Item1} ---{Environment.NewLine}{Tail(x.Item2?.Output)}");
        return string.Join(Environment.NewLine, running.Concat(_retired.TakeLast(2)));
    }

    /// <summary>Waits until every queue Flowkit consumes has a consumer again (after a restart of the broker or of a process).</summary>
    public Task WaitForConsumersAsync(TimeSpan deadline) =>
        Eventually.UntilAsync(
            RabbitMq.QueuesAsync,
            queues => ConsumedQueues.All(q => queues.Any(x => x.Name == q && x.Consumers > 0)),
            deadline,
            "a consumer on every Flowkit queue");

    /// <summary>Waits until <paramref name="count"/> workers consume the http steps' queue (a restarted worker is up).</summary>
    public Task WaitForWorkersAsync(int count, TimeSpan deadline) =>
        Eventually.UntilAsync(
            RabbitMq.QueuesAsync,
            queues => queues.Any(x => x.Name == "flowkit-steps-http" && x.Consumers >= count),
            deadline,
            $"{count} workers consuming flowkit-steps-http");

    /// <summary>Messages in the broker's error queues (only poison may be there).</summary>
    public async Task<int> DeadLettersAsync() =>
        (await RabbitMq.QueuesAsync()).Where(q => q.Name.EndsWith("_error", StringComparison.Ordinal)).Sum(q => q.Messages);

    public Task WaitReadyAsync(TimeSpan deadline) =>
        Eventually.UntilAsync(ReadyAsync, s => s == HttpStatusCode.OK, deadline, $"the API process to be ready; its output: {Tail(_api?.Output)}");

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _engines.Concat(_workers).Append(_api))
        {
            process?.Dispose();
        }

        if (Redis is not null)
        {
            await Redis.DisposeAsync();
        }

        if (RabbitMq is not null)
        {
            await RabbitMq.DisposeAsync();
        }

        if (Postgres is not null)
        {
            await Postgres.DisposeAsync();
        }
    }

    private static readonly string[] ConsumedQueues = ["flowkit-runs", "flowkit-steps-core", "flowkit-steps-http", "flowkit-steps-notify", "flowkit-steps-script"];

    private FlowkitProcess KillAndRestart(FlowkitProcess? process, string roles)
    {
        if (process is not null)
        {
            process.Kill();
            Interlocked.Increment(ref _kills);
            _retired.Enqueue($"--- killed {roles} ---{Environment.NewLine}{Tail(process.Output)}");
            while (_retired.Count > 4 && _retired.TryDequeue(out _))
            {
            }

            process.Dispose();
        }

        return Start(roles);
    }

    private FlowkitProcess Start(string roles, Dictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Flowkit:RabbitMqManagementUrl"] = RabbitMq.ManagementUri.ToString(),
            // Quiet: the suite keeps the last lines of each process for failure messages only.
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in extra ?? [])
        {
            settings[key] = value;
        }

        return FlowkitProcess.Start(ConnectionString, RabbitMq.Uri, Redis.ConnectionString, roles, settings);
    }

    private async Task<HttpStatusCode> ReadyAsync()
    {
        try
        {
            using var client = new HttpClient { BaseAddress = ApiAddress, Timeout = TimeSpan.FromSeconds(5) };
            using var response = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));
            return response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return 0;
        }
        catch (TaskCanceledException)
        {
            return 0;
        }
    }

    private static string Tail(string? output) =>
        output is null ? "" : string.Join(Environment.NewLine, output.Split(Environment.NewLine).TakeLast(40));

    private static int FreePort()
    {
        using var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }
}
