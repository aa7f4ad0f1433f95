using Flowkit.Testing;

namespace Flowkit.IntegrationTests.Recovery;

/// <summary>
/// Time an attempt's work spends waiting for delivery (in the outbox or a queue, while no worker consumes) does not
/// count against its timeout; an attempt no worker reported on is sent again instead of failing (issue #10).
/// </summary>
[Collection(DeliveryCollection.Name)]
public sealed class DeliveryTests(DeliveryFixture flowkit)
{
    private HttpClient Client => flowkit.Client;

    [Fact]
    public async Task Delivery_WorkHeldLongerThanTheStepsTimeout_RunSucceedsWhenItIsDelivered()
    {
        await using var engine = flowkit.StartEngine(TimeSpan.FromMinutes(1));
        await using var targets = await StepTargets.StartAsync();
        var name = Api.UniqueName("held");
        await Client.CreateWorkflowAsync($$$"""
            name: {{{name}}}
            steps:
              - id: call
                type: http
                with: { method: GET, url: "{{{targets.Url("flaky/0")}}}" }
                timeout: 2s
            """);
        var runId = await Client.StartRunAsync(name);
        await Client.WaitForStepAsync(runId, "call", "running");

        // No worker consumes: the ExecuteStep waits in its queue for twice the step's timeout (or until the run ends,
        // which is the defect: the attempt timed out without ever starting).
        await Eventually.UntilAsync(
            async () => (Held: await flowkit.ScalarAsync<bool>(
                    "SELECT now() > attempt_dispatched_at + interval '4 seconds' FROM run_steps WHERE run_id = @r AND step_id = 'call'", ("r", runId)),
                Status: (await Client.GetRunAsync(runId)).Status()),
            state => state.Held || state.Status != "running",
            TimeSpan.FromSeconds(30),
            "the work to wait longer than the step's timeout");
        await using var worker = flowkit.StartHost("worker");

        var run = await Client.WaitForRunEndAsync(runId);

        run.Status().Should().Be("succeeded", run.ToString());
        Api.Step(run, "call").GetProperty("attempts").GetInt32().Should().Be(1);
        targets.Received.Count(r => r.IdempotencyKey == $"{runId}:call").Should().Be(1);
        (await Client.GetEventsAsync(runId)).Should().NotContain(e => e.GetProperty("type").GetString() == "RunRedriven",
            "the work was delivered within its window: nothing needed sending again");
    }

    [Fact]
    public async Task Delivery_WorkHeldPastItsWindow_IsSentAgainAndRunsOnce()
    {
        await using var engine = flowkit.StartEngine(TimeSpan.FromSeconds(2));
        await using var targets = await StepTargets.StartAsync();
        var name = Api.UniqueName("resent");
        await Client.CreateWorkflowAsync($$$"""
            name: {{{name}}}
            steps:
              - id: call
                type: http
                with: { method: GET, url: "{{{targets.Url("flaky/0")}}}" }
                timeout: 1s
            """);
        var runId = await Client.StartRunAsync(name);

        // No worker consumes until the engine has heard nothing past the window (2 s) plus the timeout (1 s).
        await Eventually.UntilAsync(
            async () => (Resent: (await Client.GetEventsAsync(runId)).Any(e => e.GetProperty("type").GetString() == "RunRedriven"),
                Status: (await Client.GetRunAsync(runId)).Status()),
            state => state.Resent || state.Status is "succeeded" or "failed",
            TimeSpan.FromSeconds(30),
            "the engine to send the attempt again (or end the run)");
        await using var worker = flowkit.StartHost("worker");

        var run = await Client.WaitForRunEndAsync(runId, TimeSpan.FromSeconds(60));

        run.Status().Should().Be("succeeded", run.ToString());
        Api.Step(run, "call").GetProperty("attempts").GetInt32().Should().Be(1, "a sending that never started is not an attempt");
        targets.Received.Count(r => r.IdempotencyKey == $"{runId}:call").Should().Be(1, "a copy received after its window is not started");
        var resent = (await Client.GetEventsAsync(runId)).Where(e => e.GetProperty("type").GetString() == "RunRedriven").ToList();
        resent.Should().NotBeEmpty();
        resent.Should().OnlyContain(e => e.GetProperty("data").GetProperty("finding").GetString() == "attempt-not-reported");
    }
}
