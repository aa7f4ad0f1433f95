using System.Net;
using System.Text;
using Flowkit.Contracts;
using Flowkit.Testing;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace Flowkit.IntegrationTests;

/// <summary>The run engine (issue #5) through real RabbitMQ and PostgreSQL: DAG shapes, waits, controls.</summary>
[Collection(FlowkitCollection.Name)]
public sealed class EngineTests(FlowkitFixture flowkit)
{
    private HttpClient Client => flowkit.Client;

    [Fact]
    public async Task Run_FanOutOfFiftyWithJoin_RunsEveryBranchThenTheJoinOnce()
    {
        const int width = 50;
        var name = Api.UniqueName("fan50");
        var yaml = new StringBuilder($"name: {name}\nsteps:\n  - {{ id: start, type: transform, with: {{ n: 1 }} }}\n");
        for (var i = 1; i <= width; i++)
        {
            yaml.Append(System.Globalization.CultureInfo.InvariantCulture, $"  - {{ id: b{i}, type: transform, needs: [start], with: {{ i: {i} }} }}\n");
        }

        yaml.Append(System.Globalization.CultureInfo.InvariantCulture, $"  - {{ id: join, type: transform, needs: [{string.Join(", ", Enumerable.Range(1, width).Select(i => $"b{i}"))}], with: {{ done: true }} }}\n");
        await Client.CreateWorkflowAsync(yaml.ToString());

        var runId = await Client.StartRunAsync(name);
        var run = await Client.WaitForRunEndAsync(runId, TimeSpan.FromSeconds(60));

        run.Status().Should().Be("succeeded", run.ToString());
        run.GetProperty("steps").EnumerateArray().Should().HaveCount(width + 2)
            .And.AllSatisfy(s => s.Status().Should().Be("succeeded"));
        var events = await Client.GetEventsAsync(runId);
        events.Count(e => e.GetProperty("type").GetString() == "StepSucceeded" && e.GetProperty("stepId").GetString() == "join").Should().Be(1);
        var joinReady = events.Single(e => e.GetProperty("type").GetString() == "StepReady" && e.GetProperty("stepId").GetString() == "join").GetProperty("sequence").GetInt64();
        events.Where(e => e.GetProperty("type").GetString() == "StepSucceeded" && e.GetProperty("stepId").GetString()!.StartsWith('b'))
            .Should().AllSatisfy(e => e.GetProperty("sequence").GetInt64().Should().BeLessThan(joinReady));
    }

    [Theory]
    [InlineData(1500, "approve", "pay")]
    [InlineData(20, "pay", "approve")]
    public async Task Run_ConditionBranches_TakesOneBranchSkipsTheOtherAndJoins(int amount, string ran, string skipped)
    {
        var name = Api.UniqueName("branch");
        await Client.CreateWorkflowAsync($$$"""
            name: {{{name}}}
            steps:
              - id: is_big
                type: condition
                if: "input.amount > 1000"
                then: [approve]
                else: [pay]
              - id: approve
                type: transform
                with: { approved: true }
              - id: pay
                type: transform
                with: { paid: "{{ input.amount }}" }
              - id: tell
                type: transform
                needs: [approve, pay]
                with: { told: true }
            """);

        var run = await Client.WaitForRunEndAsync(await Client.StartRunAsync(name, new { amount }));

        run.Status().Should().Be("succeeded", run.ToString());
        Api.Step(run, "is_big").GetProperty("output").GetProperty("result").GetBoolean().Should().Be(amount > 1000);
        Api.Step(run, ran).Status().Should().Be("succeeded");
        Api.Step(run, skipped).Status().Should().Be("skipped");
        Api.Step(run, "tell").Status().Should().Be("succeeded");
    }

    private async Task<Guid> StartApprovalRunAsync(string timeout = "1h")
    {
        var name = Api.UniqueName("approval");
        await Client.CreateWorkflowAsync($$$"""
            name: {{{name}}}
            steps:
              - id: ask
                type: approval
                message: "Pay invoice {{ input.id }}?"
                timeout: {{{timeout}}}
              - id: pay
                type: transform
                with: { paid: "{{ input.id }}" }
            """);
        var runId = await Client.StartRunAsync(name, new { id = "INV-7" });
        await Client.WaitForStatusAsync(runId, "waiting");
        return runId;
    }

    [Fact]
    public async Task Approval_Approved_RunContinuesAndRecordsWhoAndWhy()
    {
        var runId = await StartApprovalRunAsync();
        var waiting = await Client.GetRunAsync(runId);
        Api.Step(waiting, "ask").Status().Should().Be("waiting");

        var (status, body) = await Client.PostJsonAsync($"/api/v1/runs/{runId}/approvals/ask", new { decision = "approve", comment = "looks right" });

        status.Should().Be(HttpStatusCode.OK, body.ToString());
        var run = await Client.WaitForRunEndAsync(runId);
        run.Status().Should().Be("succeeded", run.ToString());
        var output = Api.Step(run, "ask").GetProperty("output");
        output.GetProperty("decision").GetString().Should().Be("approved");
        output.GetProperty("comment").GetString().Should().Be("looks right");
        var events = await Client.GetEventsAsync(runId);
        events.Select(e => e.GetProperty("type").GetString()).Should().ContainInOrder("ApprovalRequested", "ApprovalDecided", "StepSucceeded", "RunSucceeded");
        events.First(e => e.GetProperty("type").GetString() == "ApprovalRequested").GetProperty("data").GetProperty("message").GetString()
            .Should().Be("Pay invoice INV-7?");
    }

    [Fact]
    public async Task Approval_Rejected_StepAndRunFail()
    {
        var runId = await StartApprovalRunAsync();

        var (status, _) = await Client.PostJsonAsync($"/api/v1/runs/{runId}/approvals/ask", new { decision = "reject", comment = "duplicate invoice" });

        status.Should().Be(HttpStatusCode.OK);
        var run = await Client.WaitForRunEndAsync(runId);
        run.Status().Should().Be("failed");
        Api.Step(run, "ask").Status().Should().Be("failed");
        Api.Step(run, "ask").GetProperty("error").GetString().Should().Contain("duplicate invoice");
        Api.Step(run, "pay").Status().Should().Be("cancelled");
    }

    [Fact]
    public async Task Approval_DecidedTwice_SecondAnswers409()
    {
        var runId = await StartApprovalRunAsync();

        var first = await Client.PostJsonAsync($"/api/v1/runs/{runId}/approvals/ask", new { decision = "approve" });
        var second = await Client.PostJsonAsync($"/api/v1/runs/{runId}/approvals/ask", new { decision = "reject" });

        first.Status.Should().Be(HttpStatusCode.OK);
        second.Status.Should().Be(HttpStatusCode.Conflict);
        (await Client.WaitForRunEndAsync(runId)).Status().Should().Be("succeeded");
    }

    [Fact]
    public async Task Approval_StepNotWaiting_Answers409AndBadDecision422()
    {
        var runId = await StartApprovalRunAsync();

        (await Client.PostJsonAsync($"/api/v1/runs/{runId}/approvals/pay", new { decision = "approve" })).Status.Should().Be(HttpStatusCode.Conflict);
        (await Client.PostJsonAsync($"/api/v1/runs/{runId}/approvals/ask", new { decision = "maybe" })).Status.Should().Be(HttpStatusCode.UnprocessableEntity);
        (await Client.PostJsonAsync($"/api/v1/runs/{Guid.NewGuid()}/approvals/ask", new { decision = "approve" })).Status.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Approval_NobodyDecides_ExpiresAndFailsTheStep()
    {
        var runId = await StartApprovalRunAsync(timeout: "1s");

        var run = await Client.WaitForRunEndAsync(runId);

        run.Status().Should().Be("failed");
        Api.Step(run, "ask").GetProperty("error").GetString().Should().Contain("expired");
        (await Client.PostJsonAsync($"/api/v1/runs/{runId}/approvals/ask", new { decision = "approve" })).Status.Should().Be(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Delay_ShortWait_IsDurableTimerThenContinues()
    {
        var name = Api.UniqueName("delay");
        await Client.CreateWorkflowAsync($$$"""
            name: {{{name}}}
            steps:
              - id: wait
                type: delay
                for: 1s
              - id: after
                type: transform
                with: { ok: true }
            """);

        var runId = await Client.StartRunAsync(name);
        var run = await Client.WaitForRunEndAsync(runId);

        run.Status().Should().Be("succeeded");
        var wait = Api.Step(run, "wait");
        (wait.GetProperty("finishedAt").GetDateTimeOffset() - wait.GetProperty("startedAt").GetDateTimeOffset())
            .Should().BeGreaterThanOrEqualTo(TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task Cancel_MidRun_CancelsPendingStepsAndNothingStartsAfterwards()
    {
        var name = Api.UniqueName("cancel");
        await Client.CreateWorkflowAsync($$$"""
            name: {{{name}}}
            steps:
              - id: first
                type: transform
                with: { ok: true }
              - id: wait
                type: delay
                for: 1h
              - id: after
                type: transform
                with: { never: true }
            """);
        var runId = await Client.StartRunAsync(name);
        await Client.WaitForStepAsync(runId, "wait", "waiting");

        var (status, _) = await Client.PostJsonAsync($"/api/v1/runs/{runId}/cancel", new { reason = "changed my mind" });

        status.Should().Be(HttpStatusCode.Accepted);
        var run = await Client.WaitForRunEndAsync(runId);
        run.Status().Should().Be("cancelled");
        Api.Step(run, "first").Status().Should().Be("succeeded");
        Api.Step(run, "wait").Status().Should().Be("cancelled");
        Api.Step(run, "after").Status().Should().Be("cancelled");
        Api.Step(run, "after").GetProperty("attempts").GetInt32().Should().Be(0);
        (await Client.PostJsonAsync($"/api/v1/runs/{runId}/cancel", new { })).Status.Should().Be(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task RunTimeout_RunLongerThanItsTimeout_Fails()
    {
        var name = Api.UniqueName("runtimeout");
        await Client.CreateWorkflowAsync($$$"""
            name: {{{name}}}
            timeout: 1s
            steps:
              - id: wait
                type: delay
                for: 1h
            """);

        var run = await Client.WaitForRunEndAsync(await Client.StartRunAsync(name));

        run.Status().Should().Be("failed");
        run.GetProperty("error").GetString().Should().Contain("timeout");
        Api.Step(run, "wait").Status().Should().Be("cancelled");
    }

    [Fact]
    public async Task Concurrency_LimitOne_RunsOneAtATimeInOrder()
    {
        var name = Api.UniqueName("limit");
        await Client.CreateWorkflowAsync($$$"""
            name: {{{name}}}
            concurrency: { limit: 1 }
            steps:
              - id: wait
                type: delay
                for: 1s
            """);

        var runs = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            runs.Add(await Client.StartRunAsync(name));
        }

        var second = await Client.GetRunAsync(runs[1]);
        var ended = new List<System.Text.Json.JsonElement>();
        foreach (var id in runs)
        {
            ended.Add(await Client.WaitForRunEndAsync(id));
        }

        second.Status().Should().Be("pending");
        ended.Should().AllSatisfy(r => r.Status().Should().Be("succeeded"));
        for (var i = 1; i < ended.Count; i++)
        {
            ended[i].GetProperty("startedAt").GetDateTimeOffset().Should().BeOnOrAfter(ended[i - 1].GetProperty("finishedAt").GetDateTimeOffset());
        }
    }

    [Fact]
    public async Task Inbox_SameMessageDeliveredTwice_AppliesOneTransition()
    {
        var runId = await StartApprovalRunAsync();
        var bus = flowkit.Host.Services.GetRequiredService<IBus>();
        var endpoint = await bus.GetSendEndpoint(new Uri($"queue:{EngineQueues.Runs}"));
        var messageId = Guid.NewGuid();
        var decision = new DecideApproval { RunId = runId, StepId = "ask", Attempt = 1, Approved = true, DecidedBy = "test", Timestamp = DateTimeOffset.UtcNow };

        // The same message (same MessageId) twice, as a redelivery after a lost ack would bring it.
        await endpoint.Send(decision, Pipe.Execute<SendContext>(c => c.MessageId = messageId), TestContext.Current.CancellationToken);
        await endpoint.Send(decision, Pipe.Execute<SendContext>(c => c.MessageId = messageId), TestContext.Current.CancellationToken);
        var run = await Client.WaitForRunEndAsync(runId);

        run.Status().Should().Be("succeeded");
        var events = await Client.GetEventsAsync(runId);
        events.Count(e => e.GetProperty("type").GetString() == "ApprovalDecided").Should().Be(1);
        events.Count(e => e.GetProperty("type").GetString() == "StepSucceeded" && e.GetProperty("stepId").GetString() == "ask").Should().Be(1);
        (await flowkit.ScalarAsync<long>("SELECT count(*) FROM inbox WHERE message_id = @id", ("id", messageId))).Should().Be(1);
    }

    [Fact]
    public async Task TwoEngines_SameQueue_RunsStaySerialisedPerRun()
    {
        flowkit.StartHost("engine");
        const int width = 30;
        var name = Api.UniqueName("twoengines");
        var yaml = new StringBuilder($"name: {name}\nsteps:\n");
        for (var i = 1; i <= width; i++)
        {
            yaml.Append(System.Globalization.CultureInfo.InvariantCulture, $"  - {{ id: p{i}, type: transform, needs: [], with: {{ n: {i} }} }}\n");
        }

        yaml.Append(System.Globalization.CultureInfo.InvariantCulture, $"  - {{ id: join, type: transform, needs: [{string.Join(", ", Enumerable.Range(1, width).Select(i => $"p{i}"))}], with: {{ ok: true }} }}\n");
        await Client.CreateWorkflowAsync(yaml.ToString());

        var runs = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            runs.Add(await Client.StartRunAsync(name));
        }

        foreach (var runId in runs)
        {
            var run = await Client.WaitForRunEndAsync(runId, TimeSpan.FromSeconds(60));
            run.Status().Should().Be("succeeded", run.ToString());
            run.GetProperty("steps").EnumerateArray().Should().AllSatisfy(s => s.GetProperty("attempts").GetInt32().Should().Be(1));
        }
    }

    [Fact]
    public async Task ManualRun_SameIdempotencyKeyConcurrently_StartsOneRun()
    {
        var name = Api.UniqueName("idem");
        await Client.CreateWorkflowAsync($"name: {name}\nsteps:\n  - {{ id: a, type: transform, with: {{ ok: true }} }}\n");
        var key = Guid.NewGuid().ToString();

        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(async _ =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/workflows/{name}/runs")
            {
                Content = System.Net.Http.Json.JsonContent.Create(new { input = new { n = 1 } }),
            };
            request.Headers.Add("Idempotency-Key", key);
            using var response = await Client.SendAsync(request, TestContext.Current.CancellationToken);
            response.StatusCode.Should().Be(HttpStatusCode.Accepted);
            return System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.Clone();
        }));

        answers.Select(a => a.GetProperty("runId").GetGuid()).Distinct().Should().ContainSingle();
        answers.Count(a => !a.GetProperty("duplicate").GetBoolean()).Should().Be(1);
        (await flowkit.ScalarAsync<long>("SELECT count(*) FROM runs WHERE workflow = @w", ("w", name))).Should().Be(1);
    }

    [Fact]
    public async Task Retry_TwoFailuresThenSuccess_ThreeAttemptsSpacedByTheBackoff()
    {
        await using var targets = await StepTargets.StartAsync();
        var name = Api.UniqueName("retry");
        await Client.CreateWorkflowAsync($$$"""
            name: {{{name}}}
            steps:
              - id: call
                type: http
                with: { method: GET, url: "{{{targets.Url("flaky/2")}}}" }
                retry: { attempts: 3, backoff: exponential, delay: 1s, maxDelay: 10s }
            """);

        var runId = await Client.StartRunAsync(name);
        var run = await Client.WaitForRunEndAsync(runId, TimeSpan.FromSeconds(60));

        run.Status().Should().Be("succeeded", run.ToString());
        var step = Api.Step(run, "call");
        step.GetProperty("attempts").GetInt32().Should().Be(3);
        var history = step.GetProperty("attemptHistory").EnumerateArray().ToArray();
        history.Select(a => a.Status()).Should().Equal("failed", "failed", "succeeded");
        history[0].GetProperty("error").GetString().Should().Contain("503");

        // Exponential backoff from 1 s: the second attempt at least 1 s after the first failed, the third 2 s after.
        var calls = targets.Received.Where(r => r.IdempotencyKey == $"{runId}:call").Select(r => r.At).Order().ToArray();
        calls.Should().HaveCount(3);
        (calls[1] - calls[0]).Should().BeGreaterThanOrEqualTo(TimeSpan.FromSeconds(1));
        (calls[2] - calls[1]).Should().BeGreaterThanOrEqualTo(TimeSpan.FromSeconds(2));
        var retries = (await Client.GetEventsAsync(runId)).Where(e => e.GetProperty("type").GetString() == "StepRetryScheduled").ToArray();
        retries.Should().HaveCount(2);
        retries[0].GetProperty("data").GetProperty("nextAttempt").GetInt32().Should().Be(2);
    }

    [Fact]
    public async Task Retry_NotRetryableFailure_FailsAtOnce()
    {
        await using var targets = await StepTargets.StartAsync();
        var name = Api.UniqueName("noretry");
        await Client.CreateWorkflowAsync($$$"""
            name: {{{name}}}
            steps:
              - id: call
                type: http
                with: { method: GET, url: "{{{targets.Url("missing")}}}" }
                retry: { attempts: 5, backoff: fixed, delay: 1s }
            """);

        var run = await Client.WaitForRunEndAsync(await Client.StartRunAsync(name));

        run.Status().Should().Be("failed");
        Api.Step(run, "call").GetProperty("attempts").GetInt32().Should().Be(1);
    }

    [Fact]
    public async Task Cancel_WhileAStepRuns_TheWorkerStopsIt()
    {
        await using var targets = await StepTargets.StartAsync();
        var name = Api.UniqueName("stoprunning");
        await Client.CreateWorkflowAsync($$$"""
            name: {{{name}}}
            steps:
              - id: call
                type: http
                timeout: 5m
                with: { method: GET, url: "{{{targets.Url("hang")}}}" }
            """);
        var runId = await Client.StartRunAsync(name);
        await Eventually.UntilAsync(() => Task.FromResult(targets.Received.Count(r => r.Path == "/hang")), n => n == 1, TimeSpan.FromSeconds(30), "the step's request to arrive");

        (await Client.PostJsonAsync($"/api/v1/runs/{runId}/cancel", new { })).Status.Should().Be(HttpStatusCode.Accepted);

        (await Client.WaitForRunEndAsync(runId)).Status().Should().Be("cancelled");
        await Eventually.UntilAsync(() => Task.FromResult(targets.Aborted.Count), n => n == 1, TimeSpan.FromSeconds(30), "the worker to abandon the running request");
    }

    [Fact]
    public async Task RunsList_PagedByCursor_ReturnsEveryRunOnceNewestFirst()
    {
        var name = Api.UniqueName("paging");
        await Client.CreateWorkflowAsync($"name: {name}\nsteps:\n  - {{ id: a, type: transform, with: {{ ok: true }} }}\n");
        var started = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            started.Add(await Client.StartRunAsync(name));
        }

        var seen = new List<Guid>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var path = $"/api/v1/runs?workflow={name}&limit=2" + (cursor is null ? "" : $"&cursor={cursor}");
            using var response = await Client.GetAsync(path, TestContext.Current.CancellationToken);
            response.StatusCode.Should().Be(HttpStatusCode.OK);
            var page = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;
            seen.AddRange(page.GetProperty("items").EnumerateArray().Select(r => r.GetProperty("id").GetGuid()));
            cursor = page.GetProperty("nextCursor").GetString();
            pages++;
        }
        while (cursor is not null);

        pages.Should().Be(3);
        seen.Should().Equal(Enumerable.Reverse(started));
        using var bad = await Client.GetAsync($"/api/v1/runs?cursor=not-a-cursor", TestContext.Current.CancellationToken);
        bad.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
    }
}
