using System.Diagnostics;
using Npgsql;

namespace Flowkit.Chaos;

/// <summary>
/// After a fault: waits (within a stated bound) for every accepted run to end, then compares what happened with what
/// would have happened without the fault, from Flowkit's own rows and from what the target saw.
/// </summary>
internal static class ChaosVerdict
{
    /// <summary>How long every accepted run may take to end once the fault is over and the load stopped.</summary>
    public static readonly TimeSpan Bound = TimeSpan.FromMinutes(3);

    public static async Task<(ChaosFigures Figures, string Detail)> JudgeAsync(
        ChaosCluster cluster, ChaosLoad load, ChaosTarget target, string scenario, string fault, Stopwatch total, int killsBefore)
    {
        var drain = Stopwatch.StartNew();
        var accepted = load.Accepted.Values.ToList();
        var ids = accepted.Select(a => a.RunId).ToArray();
        // Connections pooled before a PostgreSQL restart are dead; start afresh.
        NpgsqlConnection.ClearAllPools();
        var states = await Flowkit.Testing.Eventually.UntilAsync(
            () => StatesOrNoneAsync(cluster, ids),
            s => s.Count == ids.Length && s.Values.All(Ended),
            Bound,
            "every accepted run to end").ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : null, TaskScheduler.Default);
        states ??= await StatesAsync(cluster, ids);
        drain.Stop();

        var detail = new List<string>();
        var lost = accepted.Where(a => !states.ContainsKey(a.RunId)).ToList();
        var stuck = accepted.Where(a => states.TryGetValue(a.RunId, out var s) && !Ended(s)).ToList();
        var wrong = accepted.Where(a => states.TryGetValue(a.RunId, out var s) && Ended(s) && !string.Equals(s, a.Expected, StringComparison.OrdinalIgnoreCase)).ToList();
        detail.AddRange(lost.Take(5).Select(a => $"lost: {a}"));
        detail.AddRange(stuck.Take(5).Select(a => $"stuck: {a} in {states[a.RunId]}"));
        detail.AddRange(wrong.Take(5).Select(a => $"false outcome: {a} ended {states[a.RunId]}"));
        if (wrong.Count > 0)
        {
            detail.AddRange(await ErrorsAsync(cluster, [.. wrong.Select(a => a.RunId)]));
        }

        // Side effects: every call the target saw belongs to a step attempt Flowkit recorded.
        var attempts = await AttemptsAsync(cluster, target.Calls.Keys.Select(RunOf).OfType<Guid>().Distinct().ToArray());
        var unrecorded = 0;
        var redelivered = 0;
        foreach (var (key, calls) in target.Calls)
        {
            if (!attempts.TryGetValue(key, out var recorded) || recorded < 1)
            {
                unrecorded++;
                detail.Add($"a call without a recorded attempt: {key}");
                continue;
            }

            redelivered += Math.Max(0, calls - recorded);
        }

        // No second run for one webhook key, and no transition applied twice.
        var duplicates = await ScalarAsync(cluster, """
            SELECT count(*) FROM (SELECT input #>> '{body,key}' FROM runs WHERE workflow = @hook GROUP BY 1 HAVING count(*) > 1) d
            """, ("hook", load.Workflow("hook")));
        duplicates += load.HookAnswers.Count(k => k.Value.Count > 1);
        var twice = await ScalarAsync(cluster, """
            SELECT count(*) FROM (SELECT run_id, step_id FROM run_events WHERE run_id = ANY(@ids) AND type IN ('StepSucceeded', 'RunSucceeded', 'RunFailed', 'RunStarted')
                                  GROUP BY run_id, step_id, type HAVING count(*) > 1) d
            """, ("ids", ids));
        if (duplicates + twice > 0)
        {
            detail.Add($"{duplicates} webhook keys with more than one run, {twice} transitions applied twice");
        }

        var figures = new ChaosFigures(
            scenario,
            fault,
            accepted.Count,
            states.Values.Count(s => s == "Succeeded"),
            states.Values.Count(s => s == "Failed"),
            stuck.Count,
            lost.Count,
            wrong.Count,
            redelivered,
            unrecorded,
            (int)(duplicates + twice),
            await cluster.DeadLettersAsync(),
            load.Refused,
            cluster.Kills - killsBefore,
            drain.Elapsed,
            total.Elapsed);
        return (figures, string.Join(Environment.NewLine, detail.Take(30)));
    }

    private static bool Ended(string state) => state is "Succeeded" or "Failed" or "Cancelled";

    private static Guid? RunOf(string key) =>
        key.Length > 36 && Guid.TryParse(key.AsSpan(0, 36), out var id) ? id : null;

    /// <summary>The states, or none while the database does not answer (it may still be recovering).</summary>
    private static async Task<Dictionary<Guid, string>> StatesOrNoneAsync(ChaosCluster cluster, Guid[] ids)
    {
        try
        {
            return await StatesAsync(cluster, ids);
        }
        catch (NpgsqlException)
        {
            NpgsqlConnection.ClearAllPools();
            return [];
        }
    }

    /// <summary>Why runs failed, by step and error, most frequent first.</summary>
    private static async Task<List<string>> ErrorsAsync(ChaosCluster cluster, Guid[] ids)
    {
        var errors = new List<string>();
        await using var connection = new NpgsqlConnection(cluster.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT s.step_id || ': ' || coalesce(s.error, '(none)') AS e, count(*) FROM run_steps s
            WHERE s.run_id = ANY(@ids) AND s.status = 'failed' GROUP BY 1 ORDER BY 2 DESC LIMIT 5
            """, connection);
        command.Parameters.AddWithValue("ids", ids);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            errors.Add($"failed steps: {reader.GetInt64(1)} x {reader.GetString(0)}");
        }

        return errors;
    }

    private static async Task<Dictionary<Guid, string>> StatesAsync(ChaosCluster cluster, Guid[] ids)
    {
        var states = new Dictionary<Guid, string>();
        await using var connection = new NpgsqlConnection(cluster.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT id, current_state FROM runs WHERE id = ANY(@ids)", connection);
        command.Parameters.AddWithValue("ids", ids);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            states[reader.GetGuid(0)] = reader.GetString(1);
        }

        return states;
    }

    /// <summary>Attempts dispatched (the step's current attempt number) by <c>{runId}:{stepId}</c>, the key a step sends as Idempotency-Key.</summary>
    private static async Task<Dictionary<string, int>> AttemptsAsync(ChaosCluster cluster, Guid[] runs)
    {
        var attempts = new Dictionary<string, int>(StringComparer.Ordinal);
        await using var connection = new NpgsqlConnection(cluster.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT run_id, step_id, attempt FROM run_steps WHERE run_id = ANY(@ids)", connection);
        command.Parameters.AddWithValue("ids", runs);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            attempts[$"{reader.GetGuid(0)}:{reader.GetString(1)}"] = reader.GetInt32(2);
        }

        return attempts;
    }

    private static async Task<long> ScalarAsync(ChaosCluster cluster, string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(cluster.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return (long)(await command.ExecuteScalarAsync())!;
    }
}
