using System.Diagnostics;
using System.Globalization;
using System.Text;
using Flowkit.Testing;
using Hangfire;
using Hangfire.PostgreSql;
using Npgsql;

namespace Flowkit.Benchmarks;

/// <summary>
/// make bench-peers (issue #17): the linear-10 workload on Flowkit and, in the same run and on the same PostgreSQL, on
/// Hangfire 1.8 with Hangfire.PostgreSql (a chain of ten continuation jobs per run), with durable steps per second,
/// step-to-step latency and CPU per step across the process and the services it used, and their ratio. Printed,
/// never asserted; docs/benchmarks.md keeps the figures and says what each engine guarantees.
/// </summary>
internal static class PeersBenchmark
{
    private const int Steps = 10;

    public static async Task<int> RunAsync(string[] args)
    {
        var runs = EngineBenchmark.ArgInt(args, "--runs", 1000);
        var workers = EngineBenchmark.ArgInt(args, "--hangfire-workers", 20);
        Console.WriteLine($"Peers benchmark: {Steps}-step linear flow, {runs} runs in flight; {Environment.ProcessorCount} cores; load average {LoadAverage()}; {DateTime.UtcNow:u}");

        var flowkit = await FlowkitAsync(runs);
        Console.WriteLine(flowkit.Line("flowkit"));
        var hangfire = await HangfireAsync(runs, workers);
        Console.WriteLine(hangfire.Line($"hangfire ({workers} workers)"));

        Console.WriteLine($"ratio    Flowkit / Hangfire: throughput {Stats.F(flowkit.StepsPerSecond / hangfire.StepsPerSecond, "0.00")}x, step-to-step p50 {Stats.F(flowkit.P50 / hangfire.P50, "0.00")}x, CPU per step {Stats.F(flowkit.CpuPerStepMs / hangfire.CpuPerStepMs, "0.00")}x, lone run {Stats.F(flowkit.LoneMs / hangfire.LoneMs, "0.00")}x");
        Console.WriteLine($"load     load average at the end: {LoadAverage()}");
        return 0;
    }

    private static async Task<Result> FlowkitAsync(int runs)
    {
        var fixture = new FlowkitFixture();
        await fixture.InitializeAsync();
        try
        {
            const string name = "bench-linear";
            await EngineBenchmark.CreateLinearAsync(fixture.Client, name, Steps);
            await EngineBenchmark.LoneRunAsync(fixture, fixture.Client, name); // warm up: JIT, pools, plan cache

            var before = CpuNow();
            var (elapsed, ids) = await EngineBenchmark.LoadAsync(fixture, fixture.Client, name, runs);
            var cpu = CpuNow() - before;
            var latencies = await EngineBenchmark.StepToStepLatenciesAsync(fixture.PostgresConnectionString, ids);
            var lone = new List<double>();
            for (var i = 0; i < 7; i++)
            {
                lone.Add(await EngineBenchmark.LoneRunAsync(fixture, fixture.Client, name));
            }

            return new Result(runs * Steps / elapsed.TotalSeconds, Stats.Percentile(latencies, 50), Stats.Percentile(latencies, 99), cpu, runs * Steps, Stats.Median(lone));
        }
        finally
        {
            await fixture.DisposeAsync();
        }
    }

    private static async Task<Result> HangfireAsync(int runs, int workers)
    {
        var services = ServiceEndpoints.Load();
        var database = $"flowkit_bench_hangfire_{DateTime.UtcNow:yyyyMMddHHmmss}";
        await ExecuteAsync(services.Postgres, $"CREATE DATABASE \"{database}\"");
        var connectionString = new NpgsqlConnectionStringBuilder(services.Postgres) { Database = database }.ConnectionString;
        try
        {
            // Throughput settings from Hangfire.PostgreSql's documentation: LISTEN/NOTIFY long polling instead of the
            // 15 s queue poll, the sliding invisibility timeout (no job fetched twice while its worker is alive), and
            // more workers than Hangfire's default of min(5 x cores, 20) only when asked (--hangfire-workers).
            var options = new PostgreSqlStorageOptions
            {
                SchemaName = "hangfire",
                PrepareSchemaIfNecessary = true,
                EnableLongPolling = true,
                QueuePollInterval = TimeSpan.FromSeconds(1),
                UseSlidingInvisibilityTimeout = true,
            };
            var storage = new PostgreSqlStorage(new Hangfire.PostgreSql.Factories.NpgsqlConnectionFactory(connectionString, options), options);
            GlobalConfiguration.Configuration.UseSimpleAssemblyNameTypeSerializer().UseRecommendedSerializerSettings();
            var client = new BackgroundJobClient(storage);
            using var server = new BackgroundJobServer(new BackgroundJobServerOptions { WorkerCount = workers, ServerName = "bench" }, storage);

            await ChainAsync(client, connectionString, 1); // warm up: schema, JIT, pools
            var before = CpuNow();
            var clock = Stopwatch.StartNew();
            var chains = new string[runs][];
            await Parallel.ForAsync(0, runs, new ParallelOptions { MaxDegreeOfParallelism = 32 }, (i, _) =>
            {
                chains[i] = Enqueue(client, i);
                return ValueTask.CompletedTask;
            });
            await WaitSucceededAsync(connectionString, chains.SelectMany(c => c).ToArray());
            clock.Stop();
            var cpu = CpuNow() - before;
            var (seconds, latencies) = await TimelineAsync(connectionString, chains);

            var lone = new List<double>();
            for (var i = 0; i < 7; i++)
            {
                lone.Add(await ChainAsync(client, connectionString, 1_000_000 + i));
            }

            return new Result(runs * Steps / seconds, Stats.Percentile(latencies, 50), Stats.Percentile(latencies, 99), cpu, runs * Steps, Stats.Median(lone));
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await ExecuteAsync(services.Postgres, $"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)");
        }
    }

    /// <summary>One run as Hangfire expresses it: the first step enqueued, each next one a continuation of the one before.</summary>
    private static string[] Enqueue(BackgroundJobClient client, int run)
    {
        var ids = new string[Steps];
        ids[0] = client.Enqueue(() => HangfireSteps.Step(run, 1));
        for (var s = 2; s <= Steps; s++)
        {
            var step = s;
            ids[s - 1] = client.ContinueJobWith(ids[s - 2], () => HangfireSteps.Step(run, step), JobContinuationOptions.OnlyOnSucceededState);
        }

        return ids;
    }

    private static async Task<double> ChainAsync(BackgroundJobClient client, string connectionString, int run)
    {
        var ids = Enqueue(client, run);
        await WaitSucceededAsync(connectionString, ids);
        var (_, _, created, finished) = (await ReadStatesAsync(connectionString, ids)).Values.Aggregate(
            (Run: 0, Step: 0, Created: DateTime.MaxValue, Finished: DateTime.MinValue),
            (acc, s) => (0, 0, s.Created < acc.Created ? s.Created : acc.Created, s.Succeeded > acc.Finished ? s.Succeeded : acc.Finished));
        return (finished - created).TotalMilliseconds;
    }

    private static async Task WaitSucceededAsync(string connectionString, string[] ids)
    {
        var numbers = ids.Select(id => long.Parse(id, CultureInfo.InvariantCulture)).ToArray();
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(ids.Length == Steps ? 5 : 100));
        var deadline = DateTime.UtcNow.AddMinutes(10);
        while (true)
        {
            await using var command = new NpgsqlCommand("SELECT count(*) FROM hangfire.job WHERE id = ANY(@ids) AND statename = 'Succeeded'", connection);
            command.Parameters.AddWithValue("ids", numbers);
            var done = (long)(await command.ExecuteScalarAsync())!;
            if (done == ids.Length)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Only {done} of {ids.Length} Hangfire jobs succeeded within 10 minutes.");
            }

            await timer.WaitForNextTickAsync();
        }
    }

    /// <summary>
    /// Elapsed on the database's clock (first job created to last job succeeded) and step-to-step latency: a job's
    /// Succeeded state to the next job's Processing state, both as Hangfire recorded them.
    /// </summary>
    private static async Task<(double Seconds, List<double> Latencies)> TimelineAsync(string connectionString, string[][] chains)
    {
        var states = await ReadStatesAsync(connectionString, chains.SelectMany(c => c).ToArray());
        var first = states.Values.Min(s => s.Created);
        var last = states.Values.Max(s => s.Succeeded);
        var latencies = new List<double>();
        foreach (var chain in chains)
        {
            for (var s = 1; s < chain.Length; s++)
            {
                latencies.Add((states[chain[s]].Processing - states[chain[s - 1]].Succeeded).TotalMilliseconds);
            }
        }

        latencies.Sort();
        return ((last - first).TotalSeconds, latencies);
    }

    private static async Task<Dictionary<string, (DateTime Created, DateTime Processing, DateTime Succeeded)>> ReadStatesAsync(string connectionString, string[] ids)
    {
        var numbers = ids.Select(id => long.Parse(id, CultureInfo.InvariantCulture)).ToArray();
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT j.id, j.createdat,
                   (SELECT max(s.createdat) FROM hangfire.state s WHERE s.jobid = j.id AND s.name = 'Processing'),
                   (SELECT max(s.createdat) FROM hangfire.state s WHERE s.jobid = j.id AND s.name = 'Succeeded')
            FROM hangfire.job j WHERE j.id = ANY(@ids)
            """, connection);
        command.Parameters.AddWithValue("ids", numbers);
        var result = new Dictionary<string, (DateTime, DateTime, DateTime)>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            result[reader.GetInt64(0).ToString(CultureInfo.InvariantCulture)] = (reader.GetDateTime(1), reader.GetDateTime(2), reader.GetDateTime(3));
        }

        return result;
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static Cpu CpuNow()
    {
        var services = ServiceCpu.Read();
        return new Cpu(Process.GetCurrentProcess().TotalProcessorTime, services["postgresql"], services["rabbitmq"] + services["redis"]);
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    private sealed record Cpu(TimeSpan Process, TimeSpan Postgres, TimeSpan Broker)
    {
        public static Cpu operator -(Cpu a, Cpu b) => new(a.Process - b.Process, a.Postgres - b.Postgres, a.Broker - b.Broker);

        public TimeSpan Total => Process + Postgres + Broker;
    }

    private sealed record Result(double StepsPerSecond, double P50, double P99, Cpu Cpu, int StepCount, double LoneMs)
    {
        public double CpuPerStepMs => Cpu.Total.TotalMilliseconds / StepCount;

        public string Line(string engine)
        {
            var text = new StringBuilder();
            text.Append(CultureInfo.InvariantCulture, $"{engine,-24} {Stats.F(StepsPerSecond, "0")} durable steps/s; step-to-step p50 {Stats.F(P50)} ms, p99 {Stats.F(P99)} ms; ");
            text.Append(CultureInfo.InvariantCulture, $"CPU per step {Stats.F(CpuPerStepMs, "0.00")} ms (process {Stats.F(Cpu.Process.TotalMilliseconds / StepCount, "0.00")}, PostgreSQL {Stats.F(Cpu.Postgres.TotalMilliseconds / StepCount, "0.00")}, RabbitMQ+Redis {Stats.F(Cpu.Broker.TotalMilliseconds / StepCount, "0.00")}); ");
            text.Append(CultureInfo.InvariantCulture, $"lone run {Stats.F(LoneMs)} ms");
            return text.ToString();
        }
    }
}

/// <summary>The Hangfire side's step: the same trivial work as a <c>transform</c> step (build a small JSON output).</summary>
public static class HangfireSteps
{
    public static string Step(int run, int step) =>
        $"{{\"run\":{run.ToString(CultureInfo.InvariantCulture)},\"i\":{step.ToString(CultureInfo.InvariantCulture)}}}";
}
