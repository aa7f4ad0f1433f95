using Npgsql;

namespace Flowkit.IntegrationTests.Recovery;

/// <summary>The engine's watchdog finds runs that stopped making progress and re-drives them once (issue #10).</summary>
[Collection(WatchdogCollection.Name)]
public sealed class WatchdogTests
{
    private readonly WatchdogFixture _flowkit;

    public WatchdogTests(WatchdogFixture flowkit)
    {
        _flowkit = flowkit;
        _ = flowkit.Engine;
    }

    private HttpClient Client => _flowkit.Client;

    private async Task<Guid> StartApprovalRunAsync()
    {
        var name = Api.UniqueName("lost-decision");
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
        return runId;
    }

    [Fact]
    public async Task Watchdog_DecisionMessageLost_AppliesTheDecisionOnce()
    {
        var runId = await StartApprovalRunAsync();

        // The API's transaction committed the decision, but its DecideApproval never reached the run.
        await ExecuteAsync($"UPDATE approvals SET decision = 'approved', decided_by = 'someone', decided_at = now() WHERE run_id = '{runId}'");

        var run = await Client.WaitForRunEndAsync(runId);

        run.Status().Should().Be("succeeded", run.ToString());
        var events = await Client.GetEventsAsync(runId);
        events.Count(e => e.GetProperty("type").GetString() == "ApprovalDecided").Should().Be(1);
        events.Count(e => e.GetProperty("type").GetString() == "StepSucceeded" && e.GetProperty("stepId").GetString() == "ask").Should().Be(1);
        var redrive = events.Single(e => e.GetProperty("type").GetString() == "RunRedriven");
        redrive.GetProperty("data").GetProperty("finding").GetString().Should().Be("approval-decision-lost");
    }

    [Fact]
    public async Task Watchdog_StartRunLost_StartsTheRunOnce()
    {
        var name = Api.UniqueName("lost-start");
        await Client.CreateWorkflowAsync($"name: {name}\nsteps:\n  - {{ id: a, type: transform, with: {{ ok: true }} }}\n");

        // A run whose StartRun was sent and lost (the message went to an error queue): pending, nothing on its way.
        var runId = Guid.CreateVersion7();
        await ExecuteAsync($"""
            INSERT INTO runs (id, current_state, workspace, workflow_id, workflow, version, attempt, input, remaining_steps, open_approvals, holds_slot, created_at)
            SELECT '{runId}', 'Pending', 'default', id, name, 1, 1, jsonb_build_object(), 0, 0, false, now() FROM workflows WHERE name = '{name}';
            INSERT INTO run_events (run_id, workspace, type, timestamp) VALUES ('{runId}', 'default', 'RunCreated', now());
            """);

        var run = await Client.WaitForRunEndAsync(runId);

        run.Status().Should().Be("succeeded", run.ToString());
        var events = await Client.GetEventsAsync(runId);
        events.Count(e => e.GetProperty("type").GetString() == "RunStarted").Should().Be(1);
        events.Single(e => e.GetProperty("type").GetString() == "RunRedriven").GetProperty("data").GetProperty("finding").GetString()
            .Should().Be("pending-without-start");
    }

    [Fact]
    public async Task Watchdog_RetryTimerLost_DispatchesTheNextAttemptOnce()
    {
        await using var targets = await StepTargets.StartAsync();
        var name = Api.UniqueName("lost-retry");
        await Client.CreateWorkflowAsync($$$"""
            name: {{{name}}}
            steps:
              - id: call
                type: http
                with: { method: GET, url: "{{{targets.Url("flaky/1")}}}" }
                retry: { attempts: 2, backoff: fixed, delay: 1h }
            """);
        var runId = await Client.StartRunAsync(name);
        await Client.WaitForStepAsync(runId, "call", "retrying");

        // The retry timer fired and its StepRetryDue was lost: the row is gone, the backoff is over (the step row keeps
        // its end), the step still retrying.
        await ExecuteAsync($"""
            DELETE FROM outbox WHERE run_id = '{runId}' AND message_type = 'Flowkit.Contracts.StepRetryDue';
            UPDATE run_steps SET deadline_at = now() - interval '1 second' WHERE run_id = '{runId}' AND step_id = 'call';
            """);

        var run = await Client.WaitForRunEndAsync(runId);

        run.Status().Should().Be("succeeded", run.ToString());
        Api.Step(run, "call").GetProperty("attempts").GetInt32().Should().Be(2);
        targets.Received.Count(r => r.IdempotencyKey == $"{runId}:call").Should().Be(2);
    }

    [Fact]
    public async Task Watchdog_RetryTimerLostBeforeItsTime_RetriesOnceAtItsTime()
    {
        await using var targets = await StepTargets.StartAsync();
        var name = Api.UniqueName("early-retry");
        await Client.CreateWorkflowAsync($$$"""
            name: {{{name}}}
            steps:
              - id: call
                type: http
                with: { method: GET, url: "{{{targets.Url("flaky/1")}}}" }
                retry: { attempts: 2, backoff: fixed, delay: 10s }
            """);
        var runId = await Client.StartRunAsync(name);
        await Client.WaitForStepAsync(runId, "call", "retrying");

        // The retry's timer is lost long before it is due: the watchdog (bound 1 s) must still wait for the backoff.
        await ExecuteAsync($"DELETE FROM outbox WHERE run_id = '{runId}' AND message_type = 'Flowkit.Contracts.StepRetryDue'");

        var run = await Client.WaitForRunEndAsync(runId, TimeSpan.FromSeconds(60));

        run.Status().Should().Be("succeeded", run.ToString());
        var events = await Client.GetEventsAsync(runId);
        var due = events.Single(e => e.GetProperty("type").GetString() == "StepRetryScheduled").GetProperty("data").GetProperty("nextAttemptAt").GetDateTimeOffset();
        var calls = targets.Received.Where(r => r.IdempotencyKey == $"{runId}:call").Select(r => r.At).Order().ToArray();
        calls.Should().HaveCount(2);
        calls[1].Should().BeOnOrAfter(due, "a lost retry timer is re-sent at the backoff's end, never before");
        events.Single(e => e.GetProperty("type").GetString() == "RunRedriven")
            .GetProperty("data").GetProperty("finding").GetString().Should().Be("retry-timer-lost");
    }

    [Fact]
    public async Task Watchdog_SlotCounterDisagrees_IsCorrectedAndTheLineMoves()
    {
        var name = Api.UniqueName("lost-slot");
        await Client.CreateWorkflowAsync($"name: {name}\nconcurrency: {{ limit: 1 }}\nsteps:\n  - {{ id: a, type: transform, with: {{ ok: true }} }}\n");
        var first = await Client.StartRunAsync(name);
        await Client.WaitForRunEndAsync(first);

        // A slot leaked: the counter says one run holds it, no run does; the next run waits in line.
        await ExecuteAsync($"UPDATE workflow_slots SET running = 1 WHERE workflow_id = (SELECT id FROM workflows WHERE name = '{name}')");
        var next = await Client.StartRunAsync(name);

        (await Client.WaitForRunEndAsync(next)).Status().Should().Be("succeeded");
        (await _flowkit.ScalarAsync<int>("SELECT running FROM workflow_slots WHERE workflow_id = (SELECT id FROM workflows WHERE name = @w)", ("w", name)))
            .Should().Be(0);
    }

    [Fact]
    public async Task Watchdog_DelayTimerLostBeforeItsTime_EndsTheDelayOnceAtItsTime()
    {
        var name = Api.UniqueName("lost-delay");
        await Client.CreateWorkflowAsync($"name: {name}\nsteps:\n  - {{ id: wait, type: delay, for: 4s }}\n  - {{ id: after, type: transform, with: {{ ok: true }} }}\n");
        var runId = await Client.StartRunAsync(name);
        await Client.WaitForStepAsync(runId, "wait", "waiting");

        // The delay's timer is lost long before it is due: the watchdog (bound 1 s) must still wait for the delay's time.
        await ExecuteAsync($"DELETE FROM outbox WHERE run_id = '{runId}' AND message_type = 'Flowkit.Contracts.DelayElapsed'");

        var run = await Client.WaitForRunEndAsync(runId);

        run.Status().Should().Be("succeeded", run.ToString());
        var wait = Api.Step(run, "wait");
        (wait.GetProperty("finishedAt").GetDateTimeOffset() - wait.GetProperty("startedAt").GetDateTimeOffset())
            .Should().BeGreaterThanOrEqualTo(TimeSpan.FromSeconds(4), "a lost timer is re-sent once it is due, never before");
        var events = await Client.GetEventsAsync(runId);
        events.Count(e => e.GetProperty("type").GetString() == "StepSucceeded" && e.GetProperty("stepId").GetString() == "wait").Should().Be(1);
        events.Single(e => e.GetProperty("type").GetString() == "RunRedriven").GetProperty("data").GetProperty("finding").GetString()
            .Should().Be("delay-timer-lost");
    }

    [Fact]
    public async Task Watchdog_ApprovalExpiryLost_ExpiresTheApprovalOnceAtItsTime()
    {
        var name = Api.UniqueName("lost-expiry");
        await Client.CreateWorkflowAsync($"name: {name}\nsteps:\n  - {{ id: ask, type: approval, message: \"Go?\", timeout: 3s }}\n  - {{ id: after, type: transform, with: {{ ok: true }} }}\n");
        var runId = await Client.StartRunAsync(name);
        await Client.WaitForStatusAsync(runId, "waiting");

        await ExecuteAsync($"DELETE FROM outbox WHERE run_id = '{runId}' AND message_type = 'Flowkit.Contracts.ApprovalExpired'");

        var run = await Client.WaitForRunEndAsync(runId);

        run.Status().Should().Be("failed", run.ToString());
        var ask = Api.Step(run, "ask");
        ask.Status().Should().Be("failed");
        (ask.GetProperty("finishedAt").GetDateTimeOffset() - ask.GetProperty("startedAt").GetDateTimeOffset())
            .Should().BeGreaterThanOrEqualTo(TimeSpan.FromSeconds(3), "the approval expires at its time, not before");
        var events = await Client.GetEventsAsync(runId);
        events.Count(e => e.GetProperty("type").GetString() == "StepFailed" && e.GetProperty("stepId").GetString() == "ask").Should().Be(1);
        events.Single(e => e.GetProperty("type").GetString() == "RunRedriven").GetProperty("data").GetProperty("finding").GetString()
            .Should().Be("approval-expiry-lost");
    }

    [Fact]
    public async Task Watchdog_StepPastItsDeadline_TimesTheAttemptOutOnce()
    {
        await using var targets = await StepTargets.StartAsync();
        var name = Api.UniqueName("lost-deadline");
        await Client.CreateWorkflowAsync($$$"""
            name: {{{name}}}
            steps:
              - id: call
                type: http
                with: { method: GET, url: "{{{targets.Url("hang")}}}" }
                timeout: 1h
            """);
        var runId = await Client.StartRunAsync(name);
        await Client.WaitForStepAsync(runId, "call", "running");

        // The worker hangs and the deadline passed without a StepTimedOut (this fixture's timeout sweeper looks once a minute).
        await ExecuteAsync($"UPDATE run_steps SET deadline_at = now() - interval '1 minute' WHERE run_id = '{runId}' AND step_id = 'call'");

        var run = await Client.WaitForRunEndAsync(runId);

        run.Status().Should().Be("failed", run.ToString());
        var call = Api.Step(run, "call");
        call.GetProperty("attempts").GetInt32().Should().Be(1);
        call.GetProperty("attemptHistory").EnumerateArray().Should().ContainSingle().Which.Status().Should().Be("timed_out");
        var events = await Client.GetEventsAsync(runId);
        events.Count(e => e.GetProperty("type").GetString() == "StepFailed").Should().Be(1);
        events.Single(e => e.GetProperty("type").GetString() == "RunRedriven").GetProperty("data").GetProperty("finding").GetString()
            .Should().Be("deadline-passed");
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(_flowkit.PostgresConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
    }
}
