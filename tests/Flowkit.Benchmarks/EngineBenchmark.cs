using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Flowkit.Testing;
using MassTransit;
using Npgsql;

namespace Flowkit.Benchmarks;

/// <summary>
/// The engine benchmark of issue #5: a 10-step linear flow with 1,000 runs in flight through the real services,
/// beside this machine's ceilings measured in the same run (a raw PostgreSQL lock-update-insert transaction and a
/// raw MassTransit publish-consume), printed as figures and fractions. Never asserted: recorded in docs/benchmarks.md.
/// </summary>
internal static class EngineBenchmark
{
    private const int Steps = 10;

    public static async Task<int> RunAsync(string[] args)
    {
        var runs = ArgInt(args, "--runs", 1000);
        var seconds = ArgInt(args, "--ceiling-seconds", 5);
        Console.WriteLine($"Flowkit engine benchmark: {Steps}-step linear flow, {runs} runs in flight; {Environment.ProcessorCount} cores; {DateTime.UtcNow:u}");

        var fixture = new FlowkitFixture();
        await fixture.InitializeAsync();
        try
        {
            var pg = await PostgresCeilingAsync(fixture.PostgresConnectionString, writers: 8, TimeSpan.FromSeconds(seconds));
            Console.WriteLine($"ceiling  PostgreSQL lock+update+insert+commit, 8 writers: {Stats.F(pg, "0")} tx/s");
            var mt = await MassTransitCeilingAsync(fixture.RabbitMqUri, messages: 20_000);
            Console.WriteLine($"ceiling  MassTransit persistent publish+consume (prefetch 100, 32 concurrent): {Stats.F(mt, "0")} msg/s");

            var client = fixture.Client;
            var name = "bench-linear";
            await CreateLinearAsync(client, name, Steps);

            // Warm up: JIT, pools, plan cache.
            await LoneRunAsync(fixture, client, name);

            var (elapsed, ids) = await LoadAsync(fixture, client, name, runs);
            var stepsPerSecond = runs * Steps / elapsed.TotalSeconds;
            var latencies = await StepToStepLatenciesAsync(fixture.PostgresConnectionString, ids);
            Console.WriteLine($"engine   {runs * Steps} durable steps in {Stats.F(elapsed.TotalSeconds, "0.00")} s: {Stats.F(stepsPerSecond, "0")} steps/s");
            Console.WriteLine($"engine   step-to-step latency (a step's finish to the next step's start): p50 {Stats.F(Stats.Percentile(latencies, 50))} ms, p99 {Stats.F(Stats.Percentile(latencies, 99))} ms ({latencies.Count} samples)");

            var lone = new List<double>();
            for (var i = 0; i < 7; i++)
            {
                lone.Add(await LoneRunAsync(fixture, client, name));
            }

            Console.WriteLine($"engine   one lone {Steps}-step run end to end (created -> finished, median of 7): {Stats.F(Stats.Median(lone))} ms");
            Console.WriteLine($"ratio    engine steps/s as a fraction of PostgreSQL transitions/s: {Stats.F(stepsPerSecond / pg, "0.00")}; of MassTransit msg/s / 2 (a step is two messages): {Stats.F(stepsPerSecond / (mt / 2), "0.00")}");
            Console.WriteLine($"memory   peak RSS of this all-in-one process (API, engine, worker and the load generator): {Process.GetCurrentProcess().PeakWorkingSet64 / (1024 * 1024)} MB");
        }
        finally
        {
            await fixture.DisposeAsync();
        }

        return 0;
    }

    /// <summary>Saves a linear flow of <paramref name="steps"/> <c>transform</c> steps.</summary>
    internal static async Task CreateLinearAsync(HttpClient client, string name, int steps)
    {
        var yaml = new StringBuilder($"name: {name}\nsteps:\n");
        for (var i = 1; i <= steps; i++)
        {
            yaml.Append(System.Globalization.CultureInfo.InvariantCulture, $"  - {{ id: s{i}, type: transform, with: {{ i: {i} }} }}\n");
        }

        using var create = await client.PostAsync("/api/v1/workflows", new StringContent(yaml.ToString(), Encoding.UTF8, "application/yaml"));
        create.EnsureSuccessStatusCode();
    }

    internal static async Task<(TimeSpan Elapsed, Guid[] Ids)> LoadAsync(FlowkitFixture fixture, HttpClient client, string name, int runs)
    {
        var ids = new Guid[runs];
        await Parallel.ForAsync(0, runs, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, ct) =>
        {
            using var response = await client.PostAsJsonAsync($"/api/v1/workflows/{name}/runs", new { input = new { i } }, ct);
            response.EnsureSuccessStatusCode();
            ids[i] = (await response.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("runId").GetGuid();
        });

        await using var connection = new NpgsqlConnection(fixture.PostgresConnectionString);
        await connection.OpenAsync();
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        var deadline = DateTime.UtcNow.AddMinutes(10);
        while (true)
        {
            await using var command = new NpgsqlCommand("SELECT count(*) FROM runs WHERE id = ANY(@ids) AND current_state IN ('Succeeded', 'Failed', 'Cancelled')", connection);
            command.Parameters.AddWithValue("ids", ids);
            var done = (long)(await command.ExecuteScalarAsync())!;
            if (done == runs)
            {
                break;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Only {done} of {runs} runs ended within 10 minutes.");
            }

            await timer.WaitForNextTickAsync();
        }

        // Elapsed on the server's clock: first run created to last run finished.
        await using var span = new NpgsqlCommand("SELECT EXTRACT(EPOCH FROM max(finished_at) - min(created_at)) FROM runs WHERE id = ANY(@ids)", connection);
        span.Parameters.AddWithValue("ids", ids);
        var seconds = Convert.ToDouble(await span.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
        return (TimeSpan.FromSeconds(seconds), ids);
    }

    internal static async Task<List<double>> StepToStepLatenciesAsync(string connectionString, Guid[] ids)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT EXTRACT(EPOCH FROM (s.timestamp - f.timestamp)) * 1000
            FROM run_events f
            JOIN run_events s ON s.run_id = f.run_id AND s.type = 'StepStarted'
                AND s.step_id = 's' || (substring(f.step_id FROM 2)::int + 1)::text
            WHERE f.run_id = ANY(@ids) AND f.type = 'StepSucceeded'
            ORDER BY 1
            """, connection);
        command.Parameters.AddWithValue("ids", ids);
        var values = new List<double>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            values.Add(Convert.ToDouble(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture));
        }

        return values;
    }

    internal static async Task<double> LoneRunAsync(FlowkitFixture fixture, HttpClient client, string name)
    {
        using var response = await client.PostAsJsonAsync($"/api/v1/workflows/{name}/runs", new { input = new { lone = true } });
        response.EnsureSuccessStatusCode();
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("runId").GetGuid();
        await using var connection = new NpgsqlConnection(fixture.PostgresConnectionString);
        await connection.OpenAsync();
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(5));
        while (true)
        {
            await using var command = new NpgsqlCommand("SELECT EXTRACT(EPOCH FROM finished_at - created_at) * 1000 FROM runs WHERE id = @id AND finished_at IS NOT NULL", connection);
            command.Parameters.AddWithValue("id", id);
            if (await command.ExecuteScalarAsync() is { } ms and not DBNull)
            {
                return Convert.ToDouble(ms, System.Globalization.CultureInfo.InvariantCulture);
            }

            await timer.WaitForNextTickAsync();
        }
    }

    /// <summary>A durable state transition without Flowkit: lock a row, update it, insert an outbox row, commit.</summary>
    private static async Task<double> PostgresCeilingAsync(string connectionString, int writers, TimeSpan duration)
    {
        await using (var setup = new NpgsqlConnection(connectionString))
        {
            await setup.OpenAsync();
            await using var create = new NpgsqlCommand("""
                CREATE TABLE IF NOT EXISTS bench_rows (id int PRIMARY KEY, n int NOT NULL);
                CREATE TABLE IF NOT EXISTS bench_outbox (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, row_id int NOT NULL, body text NOT NULL);
                INSERT INTO bench_rows SELECT g, 0 FROM generate_series(1, 8000) g ON CONFLICT DO NOTHING;
                """, setup);
            await create.ExecuteNonQueryAsync();
        }

        var total = 0L;
        var until = DateTime.UtcNow + duration;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, writers).Select(async writer =>
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            var count = 0L;
            while (DateTime.UtcNow < until)
            {
                var id = (writer * 1000) + (int)(count % 1000) + 1;
                await using var transaction = await connection.BeginTransactionAsync();
                await using var batch = new NpgsqlBatch(connection, transaction)
                {
                    BatchCommands =
                    {
                        new NpgsqlBatchCommand("SELECT n FROM bench_rows WHERE id = $1 FOR UPDATE") { Parameters = { new() { Value = id } } },
                        new NpgsqlBatchCommand("UPDATE bench_rows SET n = n + 1 WHERE id = $1") { Parameters = { new() { Value = id } } },
                        new NpgsqlBatchCommand("INSERT INTO bench_outbox (row_id, body) VALUES ($1, $2)") { Parameters = { new() { Value = id }, new() { Value = "{\"step\":\"s1\",\"output\":{\"i\":1}}" } } },
                    },
                };
                await batch.ExecuteNonQueryAsync();
                await transaction.CommitAsync();
                count++;
            }

            Interlocked.Add(ref total, count);
        }));
        return total / clock.Elapsed.TotalSeconds;
    }

    /// <summary>Persistent messages published and consumed through MassTransit on RabbitMQ, without Flowkit.</summary>
    private static async Task<double> MassTransitCeilingAsync(Uri rabbitMq, int messages)
    {
        var received = 0;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var bus = Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host(rabbitMq);
            cfg.ReceiveEndpoint("bench-ceiling", e =>
            {
                e.PrefetchCount = 100;
                e.ConcurrentMessageLimit = 32;
                e.Handler<CeilingMessage>(_ =>
                {
                    if (Interlocked.Increment(ref received) == messages)
                    {
                        done.TrySetResult();
                    }

                    return Task.CompletedTask;
                });
            });
        });
        await bus.StartAsync();
        try
        {
            var clock = Stopwatch.StartNew();
            await Parallel.ForAsync(0, messages, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, ct) =>
                await bus.Publish(new CeilingMessage(i, "{\"step\":\"s1\",\"output\":{\"i\":1}}"), ct));
            await done.Task.WaitAsync(TimeSpan.FromMinutes(5));
            return messages / clock.Elapsed.TotalSeconds;
        }
        finally
        {
            await bus.StopAsync();
        }
    }

    internal static int ArgInt(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture, out var value) ? value : fallback;
    }
}

/// <summary>The ceiling benchmark's message.</summary>
public sealed record CeilingMessage(int Number, string Body);
