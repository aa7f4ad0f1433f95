using System.Text.Json;
using Flowkit.Contracts;
using Flowkit.Sagas.Decisions;
using Flowkit.Sagas.Planning;
using static Flowkit.Sagas.Tests.Decisions.DecisionFacts;

namespace Flowkit.Sagas.Tests.Decisions;

/// <summary>Callback steps as pure decisions (issue #12): opened at the start, waiting, called, expired.</summary>
public sealed class CallbackDecisionsTests
{
    private static RunPlan Plan(TimeSpan? timeout = null) =>
        new RunPlanBuilder().Step("tell").Typed("wait", StepTypes.Callback, "{}", timeout, "tell").Step("after", "wait").Build();

    private static DispatchInputs Inputs(string? body = null) => DispatchInputs.Empty with { CallbackBody = body };

    private static CallbackReceived Received(string body) => new()
    {
        RunId = RunId,
        StepId = "wait",
        Body = JsonDocument.Parse(body).RootElement.Clone(),
        Timestamp = Now,
    };

    [Fact]
    public void OnStartRun_WithACallbackStep_OpensItsCallbackFromTheStart()
    {
        var decision = RunDecisions.OnStartRun(Run() with { StartedAt = null }, Plan(), Context());

        decision.Of<RunEffect.OpenCallbacks>().Single().StepIds.Should().Equal("wait");
    }

    [Fact]
    public void Dispatch_NoCallYet_WaitsWithAnExpiryTimer()
    {
        var decision = StepDecisions.Dispatch(Run(), Plan(TimeSpan.FromMinutes(10)), Step("wait", StepStatus.Pending, 0), Inputs(), Context());

        decision.StepSet("wait").Should().Match<StepState>(s => s.Status == StepStatus.Waiting && s.Attempt == 1 && s.DeadlineAt == Now.AddMinutes(10));
        var timer = decision.Of<RunEffect.Timer>().Single();
        timer.Due.Should().Be(Now.AddMinutes(10));
        timer.Message.Should().BeOfType<CallbackExpired>();
        decision.Of<RunEffect.SendWork>().Should().BeEmpty();
    }

    [Fact]
    public void Dispatch_CallArrivedBeforeTheStepStarted_SucceedsAtOnceWithTheBody()
    {
        var decision = StepDecisions.Dispatch(Run(), Plan(TimeSpan.FromMinutes(10)), Step("wait", StepStatus.Pending, 0), Inputs("""{"early":true}"""), Context());

        var wait = decision.StepSet("wait");
        wait.Status.Should().Be(StepStatus.Succeeded);
        JsonDocument.Parse(wait.Output!).RootElement.GetProperty("early").GetBoolean().Should().BeTrue();
        decision.Of<RunEffect.Timer>().Should().BeEmpty();
        decision.Of<RunEffect.Propagate>().Select(p => p.StepId).Should().Equal("wait");
    }

    [Fact]
    public void OnCallbackReceived_StepWaiting_SucceedsWithTheBodyAndCancelsTheExpiry()
    {
        var decision = StepDecisions.OnCallbackReceived(Run(), Plan(), Step("wait", StepStatus.Waiting), Received("""{"answer":42}"""));

        JsonDocument.Parse(decision.StepSet("wait").Output!).RootElement.GetProperty("answer").GetInt32().Should().Be(42);
        decision.Of<RunEffect.CancelTimer>().Single().Token.Should().Be(TimerTokens.For(TimerKinds.Callback, RunId, "wait", 1));
        decision.Events().Should().Contain(RunEventTypes.StepSucceeded);
    }

    [Theory]
    [InlineData(StepStatus.Pending)]
    [InlineData(StepStatus.Succeeded)]
    [InlineData(StepStatus.Failed)]
    public void OnCallbackReceived_StepNotWaiting_ChangesNothing(StepStatus status)
    {
        StepDecisions.OnCallbackReceived(Run(), Plan(), Step("wait", status), Received("{}")).IsNone.Should().BeTrue();
    }

    [Fact]
    public void OnCallbackExpired_Claimed_FailsTheStepAndTheRun()
    {
        var message = new CallbackExpired { RunId = RunId, StepId = "wait", Attempt = 1, Timestamp = Now };

        var decision = StepDecisions.OnCallbackExpired(Run(), Plan(TimeSpan.FromSeconds(1)), Step("wait", StepStatus.Waiting), message, claimed: true, Context());

        decision.StepSet("wait").Should().Match<StepState>(s => s.Status == StepStatus.Failed && s.Error!.StartsWith("No call arrived", StringComparison.Ordinal));
        decision.Of<RunEffect.RunEnded>().Single().Outcome.Should().Be(RunOutcome.Failed);
    }

    [Fact]
    public void OnCallbackExpired_CallClaimedFirst_ChangesNothing()
    {
        var message = new CallbackExpired { RunId = RunId, StepId = "wait", Attempt = 1, Timestamp = Now };

        StepDecisions.OnCallbackExpired(Run(), Plan(TimeSpan.FromSeconds(1)), Step("wait", StepStatus.Waiting), message, claimed: false, Context())
            .IsNone.Should().BeTrue();
    }
}
