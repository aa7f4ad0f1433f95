using Flowkit.Contracts;
using Flowkit.Sagas.Decisions;
using Flowkit.Sagas.Planning;
using static Flowkit.Sagas.Tests.Decisions.DecisionFacts;

namespace Flowkit.Sagas.Tests.Decisions;

/// <summary>The run decisions as pure functions: start, settle, cancel, run timeout (issue #10).</summary>
public sealed class RunDecisionsTests
{
    [Fact]
    public void OnStartRun_NotStarted_CreatesTheStepsSetsTheRunTimeoutAndDispatchesTheRoots()
    {
        var plan = new RunPlanBuilder().Step("a").Step("b", Array.Empty<string>()).Step("c", "a", "b").Build(new RunOptions(TimeSpan.FromHours(1), null));

        var decision = RunDecisions.OnStartRun(Run() with { StartedAt = null }, plan, Context());

        decision.Of<RunEffect.AddSteps>().Single().Steps.Select(s => (s.StepId, s.PendingNeeds)).Should().Equal(("a", 0), ("b", 0), ("c", 2));
        decision.Of<RunEffect.RunStarted>().Single().Should().Be(new RunEffect.RunStarted(Now, 3));
        decision.Of<RunEffect.Timer<RunTimedOut>>().Single().Due.Should().Be(Now.AddHours(1));
        decision.Of<RunEffect.Dispatch>().Select(d => d.StepId).Should().Equal("a", "b");
        decision.Events().Should().Equal(RunEventTypes.RunStarted);
    }

    [Fact]
    public void OnStartRun_AlreadyStarted_DecidesNothing() =>
        RunDecisions.OnStartRun(Run(), new RunPlanBuilder().Step("a").Build(), Context()).IsNone.Should().BeTrue();

    [Fact]
    public void SlotNeeded_LimitedWorkflowWithoutASlot_NamesTheLimit()
    {
        var plan = new RunPlanBuilder().Step("a").Build(new RunOptions(null, 2));

        RunDecisions.SlotNeeded(Run() with { StartedAt = null }, plan).Should().Be(2);
        RunDecisions.SlotNeeded(Run() with { StartedAt = null, HoldsSlot = true }, plan).Should().BeNull();
        RunDecisions.SlotNeeded(Run() with { StartedAt = null }, new RunPlanBuilder().Step("a").Build()).Should().BeNull();
    }

    [Fact]
    public void Settle_NothingRemains_RunSucceedsAndGivesItsSlotBack()
    {
        var plan = new RunPlanBuilder().Step("a").Build(new RunOptions(null, 1));

        var decision = RunDecisions.Settle(Run(0, holdsSlot: true), plan, Context());

        decision.Of<RunEffect.RunEnded>().Single().Should().Be(new RunEffect.RunEnded(RunOutcome.Succeeded, null, Now));
        decision.Of<RunEffect.CancelTimers>().Should().ContainSingle();
        decision.Of<RunEffect.ReleaseSlot>().Single().Limit.Should().Be(1);
        decision.Events().Should().Equal(RunEventTypes.RunSucceeded);
    }

    [Fact]
    public void Settle_StepsRemainOrRunWaitsForASlotOrHasEnded_DecidesNothing()
    {
        var plan = new RunPlanBuilder().Step("a").Build();

        RunDecisions.Settle(Run(1), plan, Context()).IsNone.Should().BeTrue();
        RunDecisions.Settle(Run(0) with { StartedAt = null }, plan, Context()).IsNone.Should().BeTrue("a run waiting in line has not started");
        RunDecisions.Settle(Run(0) with { Outcome = RunOutcome.Failed }, plan, Context()).IsNone.Should().BeTrue();
    }

    [Fact]
    public void OnCancelRun_WhileStepsRun_CancelsThemTellsWorkersDropsUnsentWorkAndReleasesTheSlot()
    {
        var plan = new RunPlanBuilder().Step("a").Step("b", Array.Empty<string>()).Build(new RunOptions(null, 3));

        var decision = RunDecisions.OnCancelRun(Run(2, holdsSlot: true), plan,
            new CancelRun { RunId = RunId, Reason = "wrong input", RequestedBy = "ann", Timestamp = Now }, Context());

        decision.Of<RunEffect.RunEnded>().Single().Should().Be(new RunEffect.RunEnded(RunOutcome.Cancelled, "Cancelled: wrong input", Now));
        decision.Of<RunEffect.CancelOpenSteps>().Should().ContainSingle();
        decision.Of<RunEffect.CancelTimers>().Should().ContainSingle();
        decision.Of<RunEffect.DiscardWork>().Should().ContainSingle();
        decision.Of<RunEffect.StopWork>().Single().Message.Should().Match<StepExecutionCancelled>(m => m.RunId == RunId && m.StepId == null);
        decision.Of<RunEffect.ReleaseSlot>().Single().Limit.Should().Be(3);
        decision.Of<RunEffect.RecordEvent>().Single().Should().Match<RunEffect.RecordEvent>(e => e.Type == RunEventTypes.RunCancelled && e.Data!.Contains("ann"));
    }

    [Fact]
    public void OnCancelRun_WaitingInLine_LeavesTheLine()
    {
        var plan = new RunPlanBuilder().Step("a").Build(new RunOptions(null, 1));

        var decision = RunDecisions.OnCancelRun(Run(0) with { StartedAt = null }, plan, new CancelRun { RunId = RunId, Timestamp = Now }, Context());

        decision.Of<RunEffect.LeaveLine>().Should().ContainSingle();
        decision.Of<RunEffect.ReleaseSlot>().Should().BeEmpty();
        decision.Of<RunEffect.RunEnded>().Single().Error.Should().Be("Cancelled.");
    }

    [Fact]
    public void OnRunTimedOut_FailsTheRunNamingItsTimeout()
    {
        var plan = new RunPlanBuilder().Step("a").Build(new RunOptions(TimeSpan.FromMinutes(30), null));

        var decision = RunDecisions.OnRunTimedOut(Run(1), plan, Context());

        decision.Of<RunEffect.RunEnded>().Single().Error.Should().Be("The run did not finish within its timeout of 00:30:00.");
        decision.Events().Should().Equal(RunEventTypes.RunFailed);
    }
}
