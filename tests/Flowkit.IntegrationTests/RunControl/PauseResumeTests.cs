using System.Net;
using System.Text.Json;

namespace Flowkit.IntegrationTests.RunControl;

/// <summary>Pause and resume through the API, the engine on real RabbitMQ and PostgreSQL (issue #12, docs/run-control.md).</summary>
[Collection(FlowkitCollection.Name)]
public sealed class PauseResumeTests(Flowkit.Testing.FlowkitFixture flowkit)
{
    private HttpClient Client => flowkit.Client;

    [Fact]
    public async Task Pause_MidFanOut_RunningBranchesFinishNothingNewStartsAndResumeSucceeds()
    {
        await using var target = await ControlTarget.StartAsync();
        var name = Api.UniqueName("pause-fanout");
        await Client.CreateWorkflowAsync($$$"""
            name: {{{name}}}
            steps:
              - id: start
                type: transform
                with: { go: true }
              - id: left
                type: http
                needs: [start]
                with: { method: GET, url: "{{{target.Url("gate/left")}}}" }
              - id: right
                type: http
                needs: [start]
                with: { method: GET, url: "{{{target.Url("gate/right")}}}" }
              - id: join
                type: http
                needs: [left, right]
                with: { method: GET, url: "{{{target.Url("count/join")}}}" }
            """);
        var runId = await Client.StartRunAsync(name);
        await Flowkit.Testing.Eventually.UntilAsync(() => Task.FromResult(target.Waiting), n => n == 2, TimeSpan.FromSeconds(30), "both branches to be at the gate");

        var (status, body) = await Client.PostJsonAsync($"/api/v1/runs/{runId}/pause", new { reason = "target maintenance" });
        status.Should().Be(HttpStatusCode.Accepted, body.ToString());
        body.GetProperty("status").GetString().Should().Be("pausing");
        await Client.WaitForStatusAsync(runId, "paused");
        target.Open();

        // Both running branches finish while paused and keep their results; the join they make ready is held.
        var paused = await Eventually(runId, run => Api.Step(run, "left").Status() == "succeeded" && Api.Step(run, "right").Status() == "succeeded");
        paused.Status().Should().Be("paused");
        paused.GetProperty("pausedAt").ValueKind.Should().Be(JsonValueKind.String);
        Api.Step(paused, "left").GetProperty("output").GetProperty("body").GetProperty("name").GetString().Should().Be("left");
        Api.Step(paused, "join").Status().Should().Be("pending");
        Api.Step(paused, "join").GetProperty("attempts").GetInt32().Should().Be(0, "nothing new is dispatched while paused");
        target.CallsOf("join").Should().Be(0);

        (await Client.PostJsonAsync($"/api/v1/runs/{runId}/resume", new { })).Status.Should().Be(HttpStatusCode.Accepted);
        var run = await Client.WaitForRunEndAsync(runId);

        run.Status().Should().Be("succeeded", run.ToString());
        run.GetProperty("pausedAt").ValueKind.Should().Be(JsonValueKind.Null);
        target.CallsOf("join").Should().Be(1);
        target.CallsOf("left").Should().Be(1, "a branch that finished while paused is not run again");
        var types = (await Client.GetEventsAsync(runId)).Select(e => e.GetProperty("type").GetString()).ToList();
        types.IndexOf("RunPaused").Should().BeLessThan(types.IndexOf("RunResumed"));
        types.IndexOf("RunResumed").Should().BeLessThan(types.LastIndexOf("StepReady"), "join is dispatched after the resume");
        var resumed = (await Client.GetEventsAsync(runId)).Single(e => e.GetProperty("type").GetString() == "RunResumed");
        resumed.GetProperty("data").GetProperty("released").EnumerateArray().Select(e => e.GetString()).Should().Equal("join");
    }

    [Fact]
    public async Task Pause_DelayFallsDueWhilePaused_FiresOnResume()
    {
        var name = Api.UniqueName("pause-delay");
        await Client.CreateWorkflowAsync($"name: {name}\nsteps:\n  - {{ id: wait, type: delay, for: 3s }}\n  - {{ id: after, type: transform, with: {{ ok: true }} }}\n");
        var runId = await Client.StartRunAsync(name);
        await Client.WaitForStepAsync(runId, "wait", "waiting");
        var timer = await flowkit.ScalarAsync<Guid>(
            "SELECT message_id FROM outbox WHERE run_id = @r AND message_type = 'Flowkit.Contracts.DelayElapsed'", ("r", runId));
        (await Client.PostJsonAsync($"/api/v1/runs/{runId}/pause", new { })).Status.Should().Be(HttpStatusCode.Accepted);
        var pausedRun = await Client.WaitForStatusAsync(runId, "paused");
        Api.Step(pausedRun, "wait").Status().Should().Be("waiting", "the run must be paused before its delay ends for this test to mean anything");

        // The delay's timer falls due and reaches the engine while the run is paused: it changes nothing then.
        await Flowkit.Testing.Eventually.UntilAsync(
            () => flowkit.ScalarAsync<long>("SELECT count(*) FROM inbox WHERE message_id = @m", ("m", timer)), n => n > 0,
            TimeSpan.FromSeconds(30), "the delay's timer to be consumed");
        var stillPaused = await Client.GetRunAsync(runId);
        stillPaused.Status().Should().Be("paused");
        Api.Step(stillPaused, "wait").Status().Should().Be("waiting");
        Api.Step(stillPaused, "after").GetProperty("attempts").GetInt32().Should().Be(0);

        (await Client.PostJsonAsync($"/api/v1/runs/{runId}/resume", new { })).Status.Should().Be(HttpStatusCode.Accepted);
        var run = await Client.WaitForRunEndAsync(runId);

        run.Status().Should().Be("succeeded", run.ToString());
        var resumedAt = (await Client.GetEventsAsync(runId)).Single(e => e.GetProperty("type").GetString() == "RunResumed").GetProperty("timestamp").GetDateTimeOffset();
        Api.Step(run, "wait").GetProperty("finishedAt").GetDateTimeOffset().Should().Be(resumedAt, "the delay that fell due while paused ends on resume");
        pausedRun.GetProperty("pausedAt").GetDateTimeOffset().Should().BeBefore(resumedAt);
    }

    [Fact]
    public async Task Pause_ApprovalDecidedWhilePaused_IsRecordedAndActsOnResume()
    {
        var name = Api.UniqueName("pause-approval");
        await Client.CreateWorkflowAsync($$$"""
            name: {{{name}}}
            steps:
              - id: ask
                type: approval
                message: "Go?"
                timeout: 1h
              - id: after
                type: transform
                with: { ok: true }
            """);
        var runId = await Client.StartRunAsync(name);
        await Client.WaitForStatusAsync(runId, "waiting");
        (await Client.PostJsonAsync($"/api/v1/runs/{runId}/pause", new { })).Status.Should().Be(HttpStatusCode.Accepted);
        await Client.WaitForStatusAsync(runId, "paused");

        var (decided, body) = await Client.PostJsonAsync($"/api/v1/runs/{runId}/approvals/ask", new { decision = "approve", comment = "fine" });
        decided.Should().Be(HttpStatusCode.OK, body.ToString());
        var decision = await flowkit.ScalarAsync<Guid>(
            "SELECT message_id FROM outbox WHERE run_id = @r AND message_type = 'Flowkit.Contracts.DecideApproval'", ("r", runId));
        await Flowkit.Testing.Eventually.UntilAsync(
            () => flowkit.ScalarAsync<long>("SELECT count(*) FROM inbox WHERE message_id = @m", ("m", decision)), n => n > 0,
            TimeSpan.FromSeconds(30), "the decision to reach the engine");
        Api.Step(await Client.GetRunAsync(runId), "ask").Status().Should().Be("waiting", "a decision acts on resume");

        (await Client.PostJsonAsync($"/api/v1/runs/{runId}/resume", new { })).Status.Should().Be(HttpStatusCode.Accepted);
        var run = await Client.WaitForRunEndAsync(runId);

        run.Status().Should().Be("succeeded", run.ToString());
        Api.Step(run, "ask").GetProperty("output").GetProperty("comment").GetString().Should().Be("fine");
        (await Client.GetEventsAsync(runId)).Count(e => e.GetProperty("type").GetString() == "ApprovalDecided").Should().Be(1);
    }

    [Fact]
    public async Task Cancel_PausedRun_EndsCancelled()
    {
        var name = Api.UniqueName("pause-cancel");
        await Client.CreateWorkflowAsync($"name: {name}\nsteps:\n  - {{ id: wait, type: delay, for: 1h }}\n  - {{ id: after, type: transform, with: {{ ok: true }} }}\n");
        var runId = await Client.StartRunAsync(name);
        await Client.WaitForStepAsync(runId, "wait", "waiting");
        (await Client.PostJsonAsync($"/api/v1/runs/{runId}/pause", new { })).Status.Should().Be(HttpStatusCode.Accepted);
        await Client.WaitForStatusAsync(runId, "paused");

        (await Client.PostJsonAsync($"/api/v1/runs/{runId}/cancel", new { reason = "not needed" })).Status.Should().Be(HttpStatusCode.Accepted);
        var run = await Client.WaitForRunEndAsync(runId);

        run.Status().Should().Be("cancelled", run.ToString());
        Api.Step(run, "wait").Status().Should().Be("cancelled");
        var types = (await Client.GetEventsAsync(runId)).Select(e => e.GetProperty("type").GetString()).ToList();
        types.Should().ContainInOrder("RunPaused", "RunCancelled");
        (await flowkit.ScalarAsync<long>("SELECT count(*) FROM outbox WHERE run_id = @r AND message_type = 'Flowkit.Contracts.DelayElapsed'", ("r", runId)))
            .Should().Be(0, "the cancelled run's timers are gone");
    }

    [Fact]
    public async Task PauseResume_WrongStateOrUnknownRun_AnswerProblems()
    {
        var name = Api.UniqueName("pause-states");
        await Client.CreateWorkflowAsync($"name: {name}\nsteps:\n  - {{ id: wait, type: delay, for: 1h }}\n");
        var runId = await Client.StartRunAsync(name);
        await Client.WaitForStepAsync(runId, "wait", "waiting");

        var notPaused = await Client.PostJsonAsync($"/api/v1/runs/{runId}/resume", new { });
        notPaused.Status.Should().Be(HttpStatusCode.Conflict);
        notPaused.Body.GetProperty("detail").GetString().Should().Contain("not paused");

        var tooLong = await Client.PostJsonAsync($"/api/v1/runs/{runId}/pause", new { reason = new string('x', 501) });
        tooLong.Status.Should().Be(HttpStatusCode.UnprocessableEntity);
        tooLong.Body.GetProperty("errors")[0].GetProperty("path").GetString().Should().Be("$.reason");
        (await Client.GetRunAsync(runId)).Status().Should().NotBe("paused");

        (await Client.PostJsonAsync($"/api/v1/runs/{runId}/pause", new { })).Status.Should().Be(HttpStatusCode.Accepted);
        await Client.WaitForStatusAsync(runId, "paused");
        var again = await Client.PostJsonAsync($"/api/v1/runs/{runId}/pause", new { });
        again.Status.Should().Be(HttpStatusCode.Conflict);
        again.Body.GetProperty("detail").GetString().Should().Contain("already paused");

        (await Client.PostJsonAsync($"/api/v1/runs/{runId}/cancel", new { })).Status.Should().Be(HttpStatusCode.Accepted);
        await Client.WaitForRunEndAsync(runId);
        var ended = await Client.PostJsonAsync($"/api/v1/runs/{runId}/pause", new { });
        ended.Status.Should().Be(HttpStatusCode.Conflict);
        ended.Body.GetProperty("type").GetString().Should().NotBeNullOrEmpty();
        (await Client.PostJsonAsync($"/api/v1/runs/{runId}/resume", new { })).Status.Should().Be(HttpStatusCode.Conflict);

        (await Client.PostJsonAsync($"/api/v1/runs/{Guid.NewGuid()}/pause", new { })).Status.Should().Be(HttpStatusCode.NotFound);
        (await Client.PostJsonAsync($"/api/v1/runs/{Guid.NewGuid()}/resume", new { })).Status.Should().Be(HttpStatusCode.NotFound);
    }

    private Task<JsonElement> Eventually(Guid runId, Func<JsonElement, bool> condition) =>
        Flowkit.Testing.Eventually.UntilAsync(() => Client.GetRunAsync(runId), condition, TimeSpan.FromSeconds(30), $"run {runId} to reach the expected state");
}
