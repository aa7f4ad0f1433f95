using System.Net;
using System.Text.Json;

namespace Flowkit.IntegrationTests.RunControl;

/// <summary>Reruns through the API, the engine on real RabbitMQ and PostgreSQL (issue #12, docs/run-control.md).</summary>
[Collection(FlowkitCollection.Name)]
public sealed class RerunTests(Flowkit.Testing.FlowkitFixture flowkit)
{
    private HttpClient Client => flowkit.Client;

    /// <summary>fetch -> enrich -> charge (broken until fixed) -> report; report reads fetch's output.</summary>
    private static string Definition(string name, ControlTarget target, string fetchPath = "count/fetch", string reportPath = "count/report") => $$$"""
        name: {{{name}}}
        steps:
          - id: fetch
            type: http
            with: { method: GET, url: "{{{target.Url(fetchPath)}}}" }
          - id: enrich
            type: http
            with: { method: GET, url: "{{{target.Url("count/enrich")}}}" }
          - id: charge
            type: http
            with: { method: GET, url: "{{{target.Url("broken/charge")}}}" }
          - id: report
            type: http
            with: { method: GET, url: "{{{target.Url(reportPath)}}}?fetched={{ steps.fetch.output.body.call }}" }
        """;

    private async Task<Guid> FailedRunAsync(string name, object? input = null)
    {
        var runId = await Client.StartRunAsync(name, input);
        var run = await Client.WaitForRunEndAsync(runId);
        run.Status().Should().Be("failed", run.ToString());
        return runId;
    }

    [Fact]
    public async Task Rerun_FromTheFailedStepAfterTheTargetIsFixed_DoesNotCallTheStepsBeforeIt()
    {
        await using var target = await ControlTarget.StartAsync();
        var name = Api.UniqueName("rerun-fixed");
        await Client.CreateWorkflowAsync(Definition(name, target));
        var failed = await FailedRunAsync(name, new { order = 7 });
        target.CallsOf("fetch").Should().Be(1);
        target.Fix();

        var (status, body) = await Client.PostJsonAsync($"/api/v1/runs/{failed}/rerun", new { fromStep = "charge" });

        status.Should().Be(HttpStatusCode.Accepted, body.ToString());
        var rerunId = body.GetProperty("runId").GetGuid();
        body.GetProperty("rerunOf").GetGuid().Should().Be(failed);
        body.GetProperty("version").GetInt32().Should().Be(1);
        var run = await Client.WaitForRunEndAsync(rerunId);
        run.Status().Should().Be("succeeded", run.ToString());
        target.CallsOf("fetch").Should().Be(1, "steps before fromStep are not called again");
        target.CallsOf("enrich").Should().Be(1);
        target.CallsOf("charge").Should().Be(2);
        target.CallsOf("report").Should().Be(1);
        run.GetProperty("rerunOf").GetGuid().Should().Be(failed);
        run.GetProperty("rerunFrom").GetString().Should().Be("charge");
        run.GetProperty("input").GetProperty("order").GetInt32().Should().Be(7, "a rerun keeps the input");
        foreach (var reused in new[] { "fetch", "enrich" })
        {
            Api.Step(run, reused).Status().Should().Be("succeeded");
            Api.Step(run, reused).GetProperty("reusedFrom").GetGuid().Should().Be(failed);
            Api.Step(run, reused).GetProperty("attempts").GetInt32().Should().Be(0);
        }

        Api.Step(run, "fetch").GetProperty("output").GetProperty("body").GetProperty("call").GetInt32().Should().Be(1, "the recorded output is reused");
        var events = await Client.GetEventsAsync(rerunId);
        events.Where(e => e.GetProperty("type").GetString() == "StepReused").Select(e => e.GetProperty("stepId").GetString()).Should().Equal("fetch", "enrich");
        events.Where(e => e.GetProperty("type").GetString() == "StepReady").Select(e => e.GetProperty("stepId").GetString()).Should().Equal("charge", "report");
    }

    [Fact]
    public async Task Rerun_WithoutFromStep_RunsEveryStepAgainWithTheSameInput()
    {
        await using var target = await ControlTarget.StartAsync();
        var name = Api.UniqueName("rerun-all");
        await Client.CreateWorkflowAsync(Definition(name, target));
        var failed = await FailedRunAsync(name, new { order = 8 });
        target.Fix();

        var (status, body) = await Client.PostJsonAsync($"/api/v1/runs/{failed}/rerun", new { });

        status.Should().Be(HttpStatusCode.Accepted, body.ToString());
        var run = await Client.WaitForRunEndAsync(body.GetProperty("runId").GetGuid());
        run.Status().Should().Be("succeeded", run.ToString());
        run.GetProperty("input").GetProperty("order").GetInt32().Should().Be(8);
        target.CallsOf("fetch").Should().Be(2);
        run.GetProperty("steps").EnumerateArray().Should().OnlyContain(s => s.GetProperty("reusedFrom").ValueKind == JsonValueKind.Null);
    }

    [Fact]
    public async Task Rerun_NewerVersionWithTheSameStepsAboveFromStep_RunsOnIt()
    {
        await using var target = await ControlTarget.StartAsync();
        var name = Api.UniqueName("rerun-newer");
        await Client.CreateWorkflowAsync(Definition(name, target));
        var failed = await FailedRunAsync(name);
        target.Fix();
        var update = await Client.PutYamlAsync($"/api/v1/workflows/{name}", Definition(name, target, reportPath: "count/report-v2"));
        update.Status.Should().Be(HttpStatusCode.OK, update.Text);

        var (status, body) = await Client.PostJsonAsync($"/api/v1/runs/{failed}/rerun", new { fromStep = "charge", version = 2 });

        status.Should().Be(HttpStatusCode.Accepted, body.ToString());
        body.GetProperty("version").GetInt32().Should().Be(2);
        var run = await Client.WaitForRunEndAsync(body.GetProperty("runId").GetGuid());
        run.Status().Should().Be("succeeded", run.ToString());
        run.GetProperty("version").GetInt32().Should().Be(2);
        target.CallsOf("report-v2").Should().Be(1);
        target.CallsOf("fetch").Should().Be(1);
    }

    [Fact]
    public async Task Rerun_NewerVersionChangedAStepAboveFromStep_Answers409NamingTheStep()
    {
        await using var target = await ControlTarget.StartAsync();
        var name = Api.UniqueName("rerun-changed");
        await Client.CreateWorkflowAsync(Definition(name, target));
        var failed = await FailedRunAsync(name);
        var update = await Client.PutYamlAsync($"/api/v1/workflows/{name}", Definition(name, target, fetchPath: "count/fetch-v2"));
        update.Status.Should().Be(HttpStatusCode.OK, update.Text);
        var runsBefore = await RunCountAsync(name);

        var (status, body) = await Client.PostJsonAsync($"/api/v1/runs/{failed}/rerun", new { fromStep = "charge", version = 2 });

        status.Should().Be(HttpStatusCode.Conflict, body.ToString());
        body.GetProperty("detail").GetString().Should().Contain("'fetch'").And.Contain("settings changed");
        (await RunCountAsync(name)).Should().Be(runsBefore, "a refused rerun starts nothing");
        var fromFetch = await Client.PostJsonAsync($"/api/v1/runs/{failed}/rerun", new { fromStep = "fetch", version = 2 });
        fromFetch.Status.Should().Be(HttpStatusCode.Accepted, "from the changed step itself nothing is reused");
    }

    [Fact]
    public async Task Rerun_BadRequests_AnswerProblemsNamingTheFieldAndStartNothing()
    {
        await using var target = await ControlTarget.StartAsync();
        var name = Api.UniqueName("rerun-bad");
        await Client.CreateWorkflowAsync(Definition(name, target));
        var failed = await FailedRunAsync(name);
        var before = await RunCountAsync(name);

        var unknownStep = await Client.PostJsonAsync($"/api/v1/runs/{failed}/rerun", new { fromStep = "nope" });
        unknownStep.Status.Should().Be(HttpStatusCode.UnprocessableEntity);
        unknownStep.Body.GetProperty("errors")[0].GetProperty("path").GetString().Should().Be("$.fromStep");
        unknownStep.Body.GetProperty("detail").GetString().Should().Contain("fetch, enrich, charge, report");

        var badVersion = await Client.PostJsonAsync($"/api/v1/runs/{failed}/rerun", new { version = 9 });
        badVersion.Status.Should().Be(HttpStatusCode.UnprocessableEntity);
        badVersion.Body.GetProperty("errors")[0].GetProperty("path").GetString().Should().Be("$.version");

        (await Client.PostJsonAsync($"/api/v1/runs/{Guid.NewGuid()}/rerun", new { })).Status.Should().Be(HttpStatusCode.NotFound);
        (await RunCountAsync(name)).Should().Be(before);

        var waitName = Api.UniqueName("rerun-live");
        await Client.CreateWorkflowAsync($"name: {waitName}\nsteps:\n  - {{ id: wait, type: delay, for: 1h }}\n");
        var live = await Client.StartRunAsync(waitName);
        var notEnded = await Client.PostJsonAsync($"/api/v1/runs/{live}/rerun", new { });
        notEnded.Status.Should().Be(HttpStatusCode.Conflict);
        notEnded.Body.GetProperty("detail").GetString().Should().Contain("only a run that has ended");
        (await Client.PostJsonAsync($"/api/v1/runs/{live}/cancel", new { })).Status.Should().Be(HttpStatusCode.Accepted);
    }

    [Fact]
    public async Task BulkRerun_FailedRunsInAWindow_AnswersAResultPerRun()
    {
        await using var target = await ControlTarget.StartAsync();
        var name = Api.UniqueName("rerun-bulk");
        await Client.CreateWorkflowAsync(Definition(name, target));
        var since = DateTimeOffset.UtcNow.AddMinutes(-1);
        var first = await FailedRunAsync(name);
        var second = await FailedRunAsync(name);
        var third = await FailedRunAsync(name);
        target.Fix();
        var earlier = await Client.PostJsonAsync($"/api/v1/runs/{second}/rerun", new { fromStep = "charge" });
        earlier.Status.Should().Be(HttpStatusCode.Accepted);
        var earlierRun = earlier.Body.GetProperty("runId").GetGuid();
        await Client.WaitForRunEndAsync(earlierRun);

        var (status, body) = await Client.PostJsonAsync($"/api/v1/workflows/{name}/runs/rerun",
            new { status = "failed", since, until = DateTimeOffset.UtcNow.AddMinutes(1), fromStep = "charge" });

        status.Should().Be(HttpStatusCode.OK, body.ToString());
        body.GetProperty("limit").GetInt32().Should().Be(100);
        var results = body.GetProperty("results").EnumerateArray().ToDictionary(r => r.GetProperty("runId").GetGuid());
        results.Keys.Should().BeEquivalentTo([first, second, third]);
        results[second].GetProperty("newRunId").ValueKind.Should().Be(JsonValueKind.Null);
        results[second].GetProperty("reason").GetString().Should().Contain(earlierRun.ToString());
        body.GetProperty("rerun").GetInt32().Should().Be(2);
        foreach (var rerun in new[] { first, third })
        {
            var run = await Client.WaitForRunEndAsync(results[rerun].GetProperty("newRunId").GetGuid());
            run.Status().Should().Be("succeeded", run.ToString());
            run.GetProperty("rerunOf").GetGuid().Should().Be(rerun);
        }

        target.CallsOf("fetch").Should().Be(3, "no rerun called the steps before charge");
    }

    [Fact]
    public async Task BulkRerun_MoreRunsThanTheLimitOrBadStatus_Answers400Or422AndRerunsNothing()
    {
        var name = Api.UniqueName("rerun-bound");
        await Client.CreateWorkflowAsync($"name: {name}\nsteps:\n  - {{ id: a, type: transform, with: {{ ok: true }} }}\n");
        // 101 failed runs, written as the engine leaves them (the bound is on what the window holds, not on running them).
        (await flowkit.ScalarAsync<long>("""
            WITH inserted AS (
                INSERT INTO runs (id, current_state, workspace, workflow_id, workflow, version, attempt, input, remaining_steps, open_approvals, holds_slot, created_at, finished_at)
                SELECT gen_random_uuid(), 'Failed', 'default', id, name, 1, 1, jsonb_build_object(), 0, 0, false, now(), now()
                FROM workflows, generate_series(1, 101) WHERE name = @w
                RETURNING 1)
            SELECT count(*) FROM inserted
            """, ("w", name))).Should().Be(101);

        var tooMany = await Client.PostJsonAsync($"/api/v1/workflows/{name}/runs/rerun", new { status = "failed" });
        tooMany.Status.Should().Be(HttpStatusCode.BadRequest, tooMany.Body.ToString());
        tooMany.Body.GetProperty("detail").GetString().Should().Contain("at most 100");
        tooMany.Body.GetProperty("errors")[0].GetProperty("path").GetString().Should().Be("$.since");

        var badStatus = await Client.PostJsonAsync($"/api/v1/workflows/{name}/runs/rerun", new { status = "running" });
        badStatus.Status.Should().Be(HttpStatusCode.UnprocessableEntity);
        badStatus.Body.GetProperty("errors")[0].GetProperty("path").GetString().Should().Be("$.status");
        (await Client.PostJsonAsync($"/api/v1/workflows/nope-{Guid.NewGuid():N}/runs/rerun", new { status = "failed" })).Status.Should().Be(HttpStatusCode.NotFound);
        (await RunCountAsync(name)).Should().Be(101);
    }

    private Task<long> RunCountAsync(string workflow) => flowkit.ScalarAsync<long>("SELECT count(*) FROM runs WHERE workflow = @w", ("w", workflow));
}
