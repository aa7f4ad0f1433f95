using System.Net;
using Flowkit.Persistence;
using Flowkit.Persistence.Runs;
using Flowkit.Sagas;
using Flowkit.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Flowkit.IntegrationTests.Recovery;

/// <summary>Concurrency slots under the races and waits that stuck runs or leaked slots (issue #10).</summary>
[Collection(FlowkitCollection.Name)]
public sealed class ConcurrencySlotsTests(FlowkitFixture flowkit)
{
    private HttpClient Client => flowkit.Client;

    private async Task<string> CreateLimitedAsync(int limit, string step = "{ id: a, type: transform, with: { ok: true } }")
    {
        var name = Api.UniqueName("slots");
        await Client.CreateWorkflowAsync($"name: {name}\nconcurrency: {{ limit: {limit} }}\nsteps:\n  - {step}\n");
        return name;
    }

    /// <summary>Starts a run as a queued webhook does: pending until <paramref name="notBefore"/>.</summary>
    private async Task<Guid> LaunchLaterAsync(string workflow, DateTimeOffset notBefore)
    {
        await using var scope = flowkit.Host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<FlowkitDbContext>();
        var row = await db.Workflows.SingleAsync(w => w.Name == workflow, TestContext.Current.CancellationToken);
        var launcher = scope.ServiceProvider.GetRequiredService<RunLauncher>();
        var launched = await launcher.StartAsync(row, row.LatestVersion, "{}", null, null, new LaunchOptions(NotBefore: notBefore), TestContext.Current.CancellationToken);
        return launched.RunId;
    }

    private Task<long> RunningAsync(string workflow) =>
        flowkit.ScalarAsync<long>("SELECT coalesce(sum(s.running), 0)::bigint FROM workflow_slots s JOIN workflows w ON w.id = s.workflow_id WHERE w.name = @w", ("w", workflow));

    [Fact]
    public async Task Slots_OlderRunNotYetDue_YoungerRunTakesTheFreeSlot()
    {
        var name = await CreateLimitedAsync(1);
        var later = await LaunchLaterAsync(name, DateTimeOffset.UtcNow.AddHours(1));

        var now = await Client.StartRunAsync(name);

        (await Client.WaitForRunEndAsync(now)).Status().Should().Be("succeeded");
        (await Client.GetRunAsync(later)).Status().Should().Be("pending");
        (await RunningAsync(name)).Should().Be(0);
    }

    [Fact]
    public async Task Slots_HandOverToRunWithNotBefore_WaitsForItsTime()
    {
        var name = await CreateLimitedAsync(1, "{ id: wait, type: delay, for: 1s }");
        var first = await Client.StartRunAsync(name);
        await Client.WaitForStatusAsync(first, "running");
        var later = await LaunchLaterAsync(name, DateTimeOffset.UtcNow.AddHours(1));
        await Client.WaitForRunEndAsync(first);

        var next = await Client.StartRunAsync(name);

        (await Client.WaitForRunEndAsync(next)).Status().Should().Be("succeeded");
        var waiting = await Client.GetRunAsync(later);
        waiting.Status().Should().Be("pending", "a run queued to start in an hour must not be started early by a hand-over");
    }

    [Fact]
    public async Task Slots_QueuedRunCancelled_NextInLineStarts()
    {
        var name = await CreateLimitedAsync(1);
        var queued = await LaunchLaterAsync(name, DateTimeOffset.UtcNow.AddHours(1));
        var next = await Client.StartRunAsync(name);

        (await Client.PostJsonAsync($"/api/v1/runs/{queued}/cancel", new { })).Status.Should().Be(HttpStatusCode.Accepted);

        (await Client.WaitForRunEndAsync(queued)).Status().Should().Be("cancelled");
        (await Client.WaitForRunEndAsync(next)).Status().Should().Be("succeeded");
        (await RunningAsync(name)).Should().Be(0);
        (await flowkit.ScalarAsync<long>("SELECT count(*) FROM run_queue WHERE run_id = @r", ("r", queued))).Should().Be(0);
    }

    /// <summary>
    /// The hand-over to a waiting run races with that run's own StartRun: the waiting run takes a free slot while the
    /// finishing run hands it the slot it held; the counter must end equal to the runs holding slots.
    /// </summary>
    [Fact]
    public async Task Slots_HandOverRacesTheRunsOwnStart_NoSlotLeaks()
    {
        var ct = TestContext.Current.CancellationToken;
        var name = await CreateLimitedAsync(2);
        var workflowId = await flowkit.ScalarAsync<Guid>("SELECT id FROM workflows WHERE name = @w", ("w", name));
        var holder = await InsertRunAsync(workflowId, name, "Running", holdsSlot: true);
        var waiting = await InsertRunAsync(workflowId, name, "Pending", holdsSlot: false);
        await ExecuteAsync($"INSERT INTO workflow_slots (workflow_id, running) VALUES ('{workflowId}', 1)");
        await ExecuteAsync($"INSERT INTO run_queue (run_id, workflow_id, enqueued_at, handed_over) VALUES ('{waiting.CorrelationId}', '{workflowId}', now(), false)");

        // Another transaction holds the counter row, so the waiting run's start stops at it mid-way.
        await using var blocker = new NpgsqlConnection(flowkit.PostgresConnectionString);
        await blocker.OpenAsync(ct);
        await using var blocking = await blocker.BeginTransactionAsync(ct);
        await using (var command = new NpgsqlCommand($"SELECT running FROM workflow_slots WHERE workflow_id = '{workflowId}' FOR UPDATE", blocker, blocking))
        {
            await command.ExecuteScalarAsync(ct);
        }

        var start = InTransactionAsync(slots => slots.TryAcquireAsync(waiting, 2, DateTimeOffset.UtcNow, ct));
        await Eventually.UntilAsync(() => LockWaitersAsync(), n => n >= 1, TimeSpan.FromSeconds(10), "the start to wait on the counter row");
        var release = InTransactionAsync(async slots =>
        {
            await slots.ReleaseAsync(holder, 2, DateTimeOffset.UtcNow, ct);
            return true;
        });
        await Eventually.UntilAsync(async () => release.IsCompleted || await LockWaitersAsync() >= 2, done => done, TimeSpan.FromSeconds(10),
            "the release to finish or to wait on the counter row too");
        await blocking.CommitAsync(ct);
        var took = await start;
        await release;

        // Whoever went first, the waiting run holds one slot (taken itself or handed to it) and the holder none.
        var handed = await flowkit.ScalarAsync<long>("SELECT count(*) FROM run_queue WHERE run_id = @r AND handed_over", ("r", waiting.CorrelationId));
        var holding = (took ? 1 : 0) + handed;
        holding.Should().Be(1);
        (await RunningAsync(name)).Should().Be(holding, "the counter must equal the slots held or handed over");
        await ExecuteAsync($"UPDATE runs SET current_state = 'Cancelled' WHERE id IN ('{holder.CorrelationId}', '{waiting.CorrelationId}')");
    }

    private async Task<bool> InTransactionAsync(Func<IConcurrencySlots, Task<bool>> action)
    {
        await using var scope = flowkit.Host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<FlowkitDbContext>();
        await using var transaction = await db.Database.BeginTransactionAsync(TestContext.Current.CancellationToken);
        var result = await action(scope.ServiceProvider.GetRequiredService<IConcurrencySlots>());

        // The StartRun a hand-over writes stays unsaved: these runs are not the engine's to start.
        await transaction.CommitAsync(TestContext.Current.CancellationToken);
        return result;
    }

    private Task<long> LockWaitersAsync() =>
        flowkit.ScalarAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'");

    private async Task<RunState> InsertRunAsync(Guid workflowId, string workflow, string state, bool holdsSlot)
    {
        var run = new RunState
        {
            CorrelationId = Guid.CreateVersion7(),
            CurrentState = state,
            Workspace = "default",
            WorkflowId = workflowId,
            Workflow = workflow,
            Version = 1,
            HoldsSlot = holdsSlot,
            CreatedAt = DateTimeOffset.UtcNow,
            StartedAt = holdsSlot ? DateTimeOffset.UtcNow : null,
        };
        await ExecuteAsync($"""
            INSERT INTO runs (id, current_state, workspace, workflow_id, workflow, version, attempt, input, remaining_steps, open_approvals, holds_slot, created_at, started_at)
            VALUES ('{run.CorrelationId}', '{state}', 'default', '{workflowId}', '{workflow}', 1, 1, jsonb_build_object(), 1, 0, {(holdsSlot ? "true" : "false")}, now(), {(holdsSlot ? "now()" : "NULL")})
            """);
        return run;
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(flowkit.PostgresConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
    }
}
