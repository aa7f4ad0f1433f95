using Flowkit.Contracts;
using Flowkit.Sagas.Decisions;
using Flowkit.Sagas.Planning;
using static Flowkit.Sagas.Tests.Decisions.DecisionFacts;

namespace Flowkit.Sagas.Tests.Decisions;

/// <summary>Pause, resume and rerun as pure decisions (issue #12, docs/run-control.md).</summary>
public sealed class RunControlDecisionsTests
{
    private static readonly DateTimeOffset PausedAt = Now.AddMinutes(-10);

    private static PauseRun Pause() => new() { RunId = RunId, RequestedBy = "ann", Reason = "target down", Timestamp = Now };

    private static ResumeRun Resume() => new() { RunId = RunId, RequestedBy = "ann", Timestamp = Now };

    private static RunFacts Paused(int remaining = 2) => Run(remaining) with { PausedAt = PausedAt };

    [Fact]
    public void OnPauseRun_RunningRun_PausesAndRecordsRunPaused()
    {
        var decision = RunDecisions.OnPauseRun(Run(), Pause(), Context());

        decision.Of<RunEffect.PauseChanged>().Single().PausedAt.Should().Be(Now);
        decision.Of<RunEffect.RecordEvent>().Single().Should().Match<RunEffect.RecordEvent>(e =>
            e.Type == RunEventTypes.RunPaused && e.Data!.Contains("ann") && e.Data.Contains("target down"));
    }

    [Fact]
    public void OnPauseRun_AlreadyPausedOrEnded_DecidesNothing()
    {
        RunDecisions.OnPauseRun(Paused(), Pause(), Context()).IsNone.Should().BeTrue();
        RunDecisions.OnPauseRun(Run() with { Outcome = RunOutcome.Failed }, Pause(), Context()).IsNone.Should().BeTrue();
    }

    [Fact]
    public void Dispatch_RunPaused_HoldsTheStepReadyAndSendsNothing()
    {
        var plan = new RunPlanBuilder().Step("a").Retrying("a", new RetryPolicy(3, BackoffKind.Fixed, TimeSpan.FromSeconds(1), null, false)).Build();

        var decision = StepDecisions.Dispatch(Paused(), plan, Step("a", StepStatus.Retrying, 1), DispatchInputs.Empty, Context());

        decision.Effects.Should().ContainSingle();
        var held = decision.StepSet("a");
        held.Status.Should().Be(StepStatus.Pending);
        held.Attempt.Should().Be(1, "the next attempt is numbered when it is dispatched on resume");
        StepDecisions.IsHeld(held).Should().BeTrue();
        decision.Of<RunEffect.SendWork>().Should().BeEmpty();
    }

    [Fact]
    public void OnResumeRun_HeldStepAndDelayDue_DispatchesTheHeldStepSucceedsTheDelayAndRecordsRunResumed()
    {
        var plan = new RunPlanBuilder().Step("a").Typed("wait", StepTypes.Delay, """{"for":"1m"}""", null, "a").Step("b", "a").Build();
        var held = Step("b", StepStatus.Pending, 0);
        var delay = Step("wait", StepStatus.Waiting) with { DeadlineAt = Now.AddMinutes(-1) };

        var decision = RunDecisions.OnResumeRun(Paused(), plan, Resume(), [held, delay], [], Context());

        decision.Effects[0].Should().Be(new RunEffect.PauseChanged(null));
        decision.Events().Should().StartWith(RunEventTypes.RunResumed);
        decision.Of<RunEffect.RecordEvent>().First().Data.Should().Contain("\"released\":[\"b\",\"wait\"]");
        decision.Of<RunEffect.Dispatch>().Select(d => d.StepId).Should().Equal("b");
        decision.StepSet("wait").Status.Should().Be(StepStatus.Succeeded);
        decision.Of<RunEffect.CancelTimer>().Single().Token.Should().Be(TimerTokens.For(TimerKinds.Delay, RunId, "wait", 1));
    }

    [Fact]
    public void OnResumeRun_DelayNotYetDue_SetsItsTimerAgainAndLeavesItWaiting()
    {
        var plan = new RunPlanBuilder().Typed("wait", StepTypes.Delay, """{"for":"1h"}""").Build();
        var delay = Step("wait", StepStatus.Waiting) with { DeadlineAt = Now.AddMinutes(30) };

        var decision = RunDecisions.OnResumeRun(Paused(1), plan, Resume(), [delay], [], Context());

        decision.Of<RunEffect.SetStep>().Should().BeEmpty();
        var timer = decision.Of<RunEffect.Timer<DelayElapsed>>().Single();
        timer.Due.Should().Be(Now.AddMinutes(30));
        timer.Token.Should().Be(TimerTokens.For(TimerKinds.Delay, RunId, "wait", 1), "the same token keeps one timer");
    }

    [Fact]
    public void OnResumeRun_ApprovalApprovedWhilePaused_TheStepSucceedsNow()
    {
        var plan = new RunPlanBuilder().Typed("ask", StepTypes.Approval, """{"message":"go?"}""").Step("after", "ask").Build();
        var ask = Step("ask", StepStatus.Waiting);
        ApprovalFacts approval = new("ask", 1, "approved", null) { DecidedBy = "bob", DecidedAt = Now.AddMinutes(-5) };

        var decision = RunDecisions.OnResumeRun(Paused(), plan, Resume(), [ask], [approval], Context());

        decision.StepSet("ask").Status.Should().Be(StepStatus.Succeeded);
        decision.Of<RunEffect.ApprovalsChanged>().Single().Delta.Should().Be(-1);
        decision.Events().Should().Equal(RunEventTypes.RunResumed, RunEventTypes.ApprovalDecided, RunEventTypes.StepSucceeded);
        decision.Of<RunEffect.Propagate>().Single().StepId.Should().Be("ask");
    }

    [Fact]
    public void OnResumeRun_ApprovalExpiredWhilePaused_TheStepFailsAsRejected()
    {
        var plan = new RunPlanBuilder().Typed("ask", StepTypes.Approval, """{"message":"go?"}""").Build();
        var ask = Step("ask", StepStatus.Waiting);

        var decision = RunDecisions.OnResumeRun(Paused(1), plan, Resume(), [ask], [new ApprovalFacts("ask", 1, "expired", Now.AddMinutes(-2))], Context());

        decision.StepSet("ask").Status.Should().Be(StepStatus.Failed);
        decision.Of<RunEffect.RunEnded>().Single().Outcome.Should().Be(RunOutcome.Failed);
    }

    [Fact]
    public void OnResumeRun_RunTimeoutPassedWhilePaused_FailsTheRunAndReleasesNothing()
    {
        var plan = new RunPlanBuilder().Step("a").Step("b", "a").Build(new RunOptions(TimeSpan.FromSeconds(30), null));

        var decision = RunDecisions.OnResumeRun(Paused(1), plan, Resume(), [Step("b", StepStatus.Pending, 0)], [], Context());

        decision.Of<RunEffect.RunEnded>().Single().Error.Should().Contain("while the run was paused");
        decision.Of<RunEffect.Dispatch>().Should().BeEmpty();
    }

    [Fact]
    public void OnResumeRun_NotPausedOrEnded_DecidesNothing()
    {
        var plan = new RunPlanBuilder().Step("a").Build();

        RunDecisions.OnResumeRun(Run(), plan, Resume(), [], [], Context()).IsNone.Should().BeTrue();
        RunDecisions.OnResumeRun(Paused() with { Outcome = RunOutcome.Cancelled }, plan, Resume(), [], [], Context()).IsNone.Should().BeTrue();
    }

    [Fact]
    public void OnStartRun_RerunFromAStep_ReusesEveryStepNotDownstreamAndDispatchesOnlyTheStep()
    {
        // a -> (b, c) -> d; rerun from b: a and c are reused, b is dispatched, d waits for b.
        var plan = new RunPlanBuilder().Step("a").Step("b", "a").Step("c", "a").Step("d", "b", "c").Build();
        var old = Guid.Parse("0193a000-0000-7000-8000-00000000000a");
        var recorded = Recorded(("a", StepStatus.Succeeded), ("b", StepStatus.Failed), ("c", StepStatus.Succeeded), ("d", StepStatus.Cancelled));

        var decision = RunDecisions.OnStartRun(Run() with { StartedAt = null, RerunOf = old, RerunFrom = "b" }, plan, Context(), recorded);

        var steps = decision.Of<RunEffect.AddSteps>().Single().Steps.ToDictionary(s => s.StepId);
        steps["a"].Should().Match<StepState>(s => s.Status == StepStatus.Succeeded && s.Output == """{"from":"a"}""" && s.ReusedFrom == old && s.Attempt == 0);
        steps["c"].ReusedFrom.Should().Be(old);
        steps["b"].Should().Match<StepState>(s => s.Status == StepStatus.Pending && s.PendingNeeds == 0 && s.SucceededNeeds == 1);
        steps["d"].Should().Match<StepState>(s => s.Status == StepStatus.Pending && s.PendingNeeds == 1 && s.SucceededNeeds == 1);
        decision.Of<RunEffect.RunStarted>().Single().Steps.Should().Be(2);
        decision.Of<RunEffect.Dispatch>().Select(d => d.StepId).Should().Equal("b");
        decision.Of<RunEffect.RecordEvent>().Where(e => e.Type == RunEventTypes.StepReused).Select(e => e.StepId).Should().Equal("a", "c");
    }

    [Fact]
    public void OnStartRun_RerunFromAStepWhoseSiblingWasCancelled_RunsTheSiblingAgainToo()
    {
        var plan = new RunPlanBuilder().Step("a").Step("b", "a").Step("c", "a").Step("d", "c").Build();
        var recorded = Recorded(("a", StepStatus.Succeeded), ("b", StepStatus.Failed), ("c", StepStatus.Cancelled), ("d", StepStatus.Pending));

        var decision = RunDecisions.OnStartRun(Run() with { StartedAt = null, RerunOf = Guid.NewGuid(), RerunFrom = "b" }, plan, Context(), recorded);

        decision.Of<RunEffect.AddSteps>().Single().Steps.Where(s => s.ReusedFrom is not null).Select(s => s.StepId).Should().Equal("a");
        decision.Of<RunEffect.Dispatch>().Select(d => d.StepId).Should().Equal("b", "c");
    }

    [Fact]
    public void OnStartRun_RerunFromABranchTheReusedConditionDidNotTake_SkipsItAgain()
    {
        var plan = new RunPlanBuilder().Condition("check").Step("yes", [new Need("check", true)]).Step("no", [new Need("check", false)]).Build();
        var recorded = Recorded(("check", StepStatus.Succeeded), ("yes", StepStatus.Skipped), ("no", StepStatus.Succeeded));
        recorded["check"] = recorded["check"] with { ConditionResult = false };

        var decision = RunDecisions.OnStartRun(Run() with { StartedAt = null, RerunOf = Guid.NewGuid(), RerunFrom = "yes" }, plan, Context(), recorded);

        decision.Of<RunEffect.AddSteps>().Single().Steps.Single(s => s.StepId == "yes").Status.Should().Be(StepStatus.Skipped);
        decision.Of<RunEffect.Dispatch>().Should().BeEmpty();
        decision.Of<RunEffect.StepEnded>().Single().StepId.Should().Be("yes");
    }

    [Fact]
    public void UpstreamDifference_StepAboveFromStepChanged_NamesIt()
    {
        var older = new RunPlanBuilder().Typed("fetch", StepTypes.Http, """{"url":"http://a"}""").Step("pay", "fetch").Build();
        var newer = new RunPlanBuilder().Typed("fetch", StepTypes.Http, """{"url":"http://b"}""").Step("pay", "fetch").Build();

        RerunPlanner.UpstreamDifference(older, newer, "pay").Should().Be(("fetch", "its settings changed"));
        RerunPlanner.UpstreamDifference(older, newer, "fetch").Should().BeNull("fetch itself runs again");
    }

    [Fact]
    public void UpstreamDifference_OnlyStepsDownstreamChanged_FindsNone()
    {
        var older = new RunPlanBuilder().Step("fetch").Typed("pay", StepTypes.Http, """{"url":"http://a"}""", null, "fetch").Build();
        var newer = new RunPlanBuilder().Step("fetch").Typed("pay", StepTypes.Http, """{"url":"http://b"}""", null, "fetch").Step("tell", "pay").Build();

        RerunPlanner.UpstreamDifference(older, newer, "pay").Should().BeNull();
    }

    private static Dictionary<string, StepState> Recorded(params (string Id, StepStatus Status)[] steps) =>
        steps.ToDictionary(s => s.Id, s => Step(s.Id, s.Status) with
        {
            Output = s.Status == StepStatus.Succeeded ? $$"""{"from":"{{s.Id}}"}""" : null,
            FinishedAt = Now.AddMinutes(-30),
        });
}
