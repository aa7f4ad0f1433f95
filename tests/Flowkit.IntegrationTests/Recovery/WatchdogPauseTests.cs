using System.Net;
using Npgsql;

namespace Flowkit.IntegrationTests.Recovery;

/// <summary>The watchdog leaves a paused run's waiting steps for the resume to settle (issue #12, docs/run-control.md).</summary>
[Collection(WatchdogCollection.Name)]
public sealed class WatchdogPauseTests
{
    private readonly WatchdogFixture _flowkit;

    public WatchdogPauseTests(WatchdogFixture flowkit)
    {
        _flowkit = flowkit;
        _ = flowkit.Engine;
    }

    private HttpClient Client => _flowkit.Client;

    [Fact]
    public async Task Watchdog_PausedRunWithADelayPastItsEndAndNoTimer_LeavesItUntilResume()
    {
        var name = Api.UniqueName("paused-delay");
        await Client.CreateWorkflowAsync($"name: {name}\nsteps:\n  - {{ id: wait, type: delay, for: 1h }}\n  - {{ id: after, type: transform, with: {{ ok: true }} }}\n");
        var runId = await Client.StartRunAsync(name);
        await Client.WaitForStepAsync(runId, "wait", "waiting");
        (await Client.PostJsonAsync($"/api/v1/runs/{runId}/pause", new { })).Status.Should().Be(HttpStatusCode.Accepted);
        var paused = await Client.WaitForStatusAsync(runId, "paused");
        Api.Step(paused, "wait").Status().Should().Be("waiting");

        // Its end passes while paused and its timer is gone (fired and ignored while paused, or lost): in a running run
        // this is a lost timer the watchdog re-sends; in a paused one it is the resume's to settle. (The end is moved
        // by hand: how long the pause takes to land here depends on the relay, not on this test.)
        await ExecuteAsync($"""
            UPDATE run_steps SET deadline_at = now() - interval '1 second' WHERE run_id = '{runId}' AND step_id = 'wait';
            DELETE FROM outbox WHERE run_id = '{runId}' AND message_type = 'Flowkit.Contracts.DelayElapsed';
            """);

        // A run found stuck after that, and re-driven: the watchdog has looked at the paused run long enough by then.
        await using var targets = await StepTargets.StartAsync();
        var control = Api.UniqueName("control-retry");
        await Client.CreateWorkflowAsync($$$"""
            name: {{{control}}}
            steps:
              - id: call
                type: http
                with: { method: GET, url: "{{{targets.Url("flaky/1")}}}" }
                retry: { attempts: 2, backoff: fixed, delay: 1h }
            """);
        var controlRun = await Client.StartRunAsync(control);
        await Client.WaitForStepAsync(controlRun, "call", "retrying");
        await ExecuteAsync($"DELETE FROM outbox WHERE run_id = '{controlRun}' AND message_type = 'Flowkit.Contracts.StepRetryDue'");
        // The row keeps the retry's time (its backoff's end), and a lost timer is re-sent for that time: bring it now.
        await ExecuteAsync($"UPDATE run_steps SET deadline_at = now() - interval '1 second' WHERE run_id = '{controlRun}' AND step_id = 'call'");
        (await Client.WaitForRunEndAsync(controlRun)).Status().Should().Be("succeeded");

        var stillPaused = await Client.GetRunAsync(runId);
        stillPaused.Status().Should().Be("paused");
        Api.Step(stillPaused, "wait").Status().Should().Be("waiting");
        (await Client.GetEventsAsync(runId)).Should().NotContain(e => e.GetProperty("type").GetString() == "RunRedriven");

        (await Client.PostJsonAsync($"/api/v1/runs/{runId}/resume", new { })).Status.Should().Be(HttpStatusCode.Accepted);
        var run = await Client.WaitForRunEndAsync(runId);
        run.Status().Should().Be("succeeded", run.ToString());
        (await Client.GetEventsAsync(runId)).Count(e => e.GetProperty("type").GetString() == "StepSucceeded" && e.GetProperty("stepId").GetString() == "wait")
            .Should().Be(1);
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(_flowkit.PostgresConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
    }
}
