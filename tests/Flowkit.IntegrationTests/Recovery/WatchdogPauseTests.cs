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
        await Client.CreateWorkflowAsync($"name: {name}\nsteps:\n  - {{ id: wait, type: delay, for: 1s }}\n  - {{ id: after, type: transform, with: {{ ok: true }} }}\n");
        var runId = await Client.StartRunAsync(name);
        await Client.WaitForStepAsync(runId, "wait", "waiting");
        (await Client.PostJsonAsync($"/api/v1/runs/{runId}/pause", new { })).Status.Should().Be(HttpStatusCode.Accepted);
        await Client.WaitForStatusAsync(runId, "paused");

        // Its timer is gone (fired and ignored while paused, or lost) and its end has passed: in a running run this is
        // a lost timer the watchdog re-sends; in a paused one it is the resume's to settle.
        await ExecuteAsync($"DELETE FROM outbox WHERE run_id = '{runId}' AND message_type = 'Flowkit.Contracts.DelayElapsed'");
        await Flowkit.Testing.Eventually.UntilAsync(
            () => _flowkit.ScalarAsync<bool>("SELECT deadline_at < now() FROM run_steps WHERE run_id = @r AND step_id = 'wait'", ("r", runId)),
            passed => passed, TimeSpan.FromSeconds(30), "the delay's end to pass");

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
        (await Client.WaitForRunEndAsync(controlRun)).Status().Should().Be("succeeded");

        var paused = await Client.GetRunAsync(runId);
        paused.Status().Should().Be("paused");
        Api.Step(paused, "wait").Status().Should().Be("waiting");
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
