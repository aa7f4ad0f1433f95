using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Flowkit.Testing;
using Npgsql;

namespace Flowkit.Benchmarks;

/// <summary>
/// The for-each and fan-out shapes of issue #12: one for-each step (a transform per item, concurrency 10) over 10,
/// 1,000 and 10,000 items, giving the time per item and the database writes per item (rows inserted, updated and
/// deleted in the benchmark's own database, from pg_stat_database, so background sweeps add a little); and a run of 50
/// parallel branches and a join. Never asserted: recorded in docs/benchmarks.md with the machine's load.
/// </summary>
internal static class ForEachBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var sizes = ArgSizes(args) ?? [10, 1_000, 10_000];
        Console.WriteLine($"Flowkit for-each benchmark: sizes {string.Join(", ", sizes)}, concurrency 10; {Environment.ProcessorCount} cores; load {Load()}; {DateTime.UtcNow:u}");
        var fixture = new FlowkitFixture();
        await fixture.InitializeAsync();
        try
        {
            var client = fixture.Client;
            await CreateAsync(client, """
                name: bench-foreach
                steps:
                  - id: each
                    type: transform
                    forEach: "{{ input.items }}"
                    concurrency: 10
                    with: { n: "{{ item * 2 }}", at: "{{ index }}" }
                """);
            await RunOnceAsync(fixture, client, "bench-foreach", new { items = Enumerable.Range(0, 10) }); // warm up
            foreach (var size in sizes)
            {
                var before = await WritesAsync(fixture.PostgresConnectionString);
                var clock = Stopwatch.StartNew();
                var id = await RunOnceAsync(fixture, client, "bench-foreach", new { items = Enumerable.Range(0, size) });
                clock.Stop();
                await Task.Delay(TimeSpan.FromSeconds(1)); // pg_stat_database is flushed by each backend within a second
                var after = await WritesAsync(fixture.PostgresConnectionString);
                var stepSeconds = await ScalarAsync(fixture.PostgresConnectionString,
                    "SELECT EXTRACT(EPOCH FROM finished_at - started_at) FROM run_steps WHERE run_id = @id AND step_id = 'each'", id);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"for-each {size,6} items: step {stepSeconds:0.00} s, {stepSeconds * 1000 / size:0.00} ms/item ({size / stepSeconds:0} items/s); run end to end {clock.Elapsed.TotalSeconds:0.00} s; DB rows written {(after - before) / (double)size:0.0}/item; load {Load()}"));
            }

            var fanOut = new StringBuilder("name: bench-fanout\nsteps:\n  - { id: start, type: transform, with: { go: true } }\n");
            for (var i = 1; i <= 50; i++)
            {
                fanOut.Append(CultureInfo.InvariantCulture, $"  - {{ id: b{i}, type: transform, needs: [start], with: {{ i: {i} }} }}\n");
            }

            fanOut.Append("  - { id: join, type: transform, needs: [").Append(string.Join(", ", Enumerable.Range(1, 50).Select(i => $"b{i}"))).Append("], with: { done: true } }\n");
            await CreateAsync(client, fanOut.ToString());
            await RunOnceAsync(fixture, client, "bench-fanout", new { });
            var times = new List<double>();
            for (var i = 0; i < 5; i++)
            {
                var id = await RunOnceAsync(fixture, client, "bench-fanout", new { });
                times.Add(await ScalarAsync(fixture.PostgresConnectionString, "SELECT EXTRACT(EPOCH FROM finished_at - started_at) * 1000 FROM runs WHERE id = @id", id));
            }

            Console.WriteLine($"fan-out  50 parallel branches + join (52 steps): run {Stats.F(Stats.Median(times))} ms (median of 5), {Stats.F(Stats.Median(times) / 52, "0.00")} ms/step; load {Load()}");
        }
        finally
        {
            await fixture.DisposeAsync();
        }

        return 0;
    }

    private static async Task CreateAsync(HttpClient client, string yaml)
    {
        using var content = new StringContent(yaml, Encoding.UTF8, "application/yaml");
        using var response = await client.PostAsync("/api/v1/workflows", content);
        response.EnsureSuccessStatusCode();
    }

    private static async Task<Guid> RunOnceAsync(FlowkitFixture fixture, HttpClient client, string name, object input)
    {
        using var response = await client.PostAsJsonAsync($"/api/v1/workflows/{name}/runs", new { input });
        response.EnsureSuccessStatusCode();
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("runId").GetGuid();
        await using var connection = new NpgsqlConnection(fixture.PostgresConnectionString);
        await connection.OpenAsync();
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
        var deadline = DateTime.UtcNow.AddMinutes(30);
        while (true)
        {
            await using var command = new NpgsqlCommand("SELECT current_state FROM runs WHERE id = @id AND finished_at IS NOT NULL", connection);
            command.Parameters.AddWithValue("id", id);
            if (await command.ExecuteScalarAsync() is string state)
            {
                return state == "Succeeded" ? id : throw new InvalidOperationException($"Run {id} of {name} ended {state}.");
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Run {id} of {name} did not end within 30 minutes.");
            }

            await timer.WaitForNextTickAsync();
        }
    }

    /// <summary>Rows inserted, updated and deleted so far in the benchmark's database.</summary>
    private static async Task<long> WritesAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT tup_inserted + tup_updated + tup_deleted FROM pg_stat_database WHERE datname = current_database()", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<double> ScalarAsync(string connectionString, string sql, Guid id)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("id", id);
        return Convert.ToDouble(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    /// <summary>The 1-minute load average (Linux), to print beside each figure: the machine is shared.</summary>
    private static string Load() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";

    private static int[]? ArgSizes(string[] args)
    {
        var i = Array.IndexOf(args, "--sizes");
        return i >= 0 && i + 1 < args.Length
            ? [.. args[i + 1].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture))]
            : null;
    }
}
