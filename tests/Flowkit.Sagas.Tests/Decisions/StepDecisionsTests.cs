using System.Text.Json;
using Flowkit.Contracts;
using Flowkit.Sagas.Decisions;
using Flowkit.Sagas.Planning;
using static Flowkit.Sagas.Tests.Decisions.DecisionFacts;

namespace Flowkit.Sagas.Tests.Decisions;

/// <summary>The step decisions as pure functions: no database, no bus, no clock (issue #10).</summary>
public sealed class StepDecisionsTests
{
    private static readonly RetryPolicy ThreeExponential = new(3, BackoffKind.Exponential, TimeSpan.FromSeconds(2), null, false);

    [Fact]
    public void Propagate_JoinWithANeedLeft_CountsTheEdgeAndWaits()
    {
        var plan = new RunPlanBuilder().Step("a").Step("b", Array.Empty<string>()).Step("join", "a", "b").Build();

        var decision = StepDecisions.Propagate(plan, new RunEffect.Propagate("a", SourceOutcome.Finished, null),
            new Dictionary<string, StepState> { ["join"] = Step("join", StepStatus.Pending, 0, pending: 2) }, Context());

        decision.StepSet("join").Should().Match<StepState>(s => s.PendingNeeds == 1 && s.SucceededNeeds == 1 && s.Status == StepStatus.Pending);
        decision.Of<RunEffect.Dispatch>().Should().BeEmpty();
    }

    [Fact]
    public void Propagate_JoinsLastNeedEnds_DispatchesTheJoin()
    {
        var plan = new RunPlanBuilder().Step("a").Step("b", Array.Empty<string>()).Step("join", "a", "b").Build();

        var decision = StepDecisions.Propagate(plan, new RunEffect.Propagate("b", SourceOutcome.Finished, null),
            new Dictionary<string, StepState> { ["join"] = Step("join", StepStatus.Pending, 0, pending: 1, succeeded: 1) }, Context());

        decision.Of<RunEffect.Dispatch>().Select(d => d.StepId).Should().Equal("join");
    }

    [Fact]
    public void Propagate_BranchNotTaken_SkipsTheStepAndPropagatesTheSkip()
    {
        var plan = new RunPlanBuilder().Condition("c").Step("yes", [new Need("c", true)]).Build();

        var decision = StepDecisions.Propagate(plan, new RunEffect.Propagate("c", SourceOutcome.Finished, false),
            new Dictionary<string, StepState> { ["yes"] = Step("yes", StepStatus.Pending, 0, pending: 1) }, Context());

        decision.StepSet("yes").Should().Match<StepState>(s => s.Status == StepStatus.Skipped && s.FinishedAt == Now);
        decision.Of<RunEffect.StepEnded>().Select(e => e.StepId).Should().Equal("yes");
        decision.Events().Should().Equal(RunEventTypes.StepSkipped);
        decision.Of<RunEffect.Propagate>().Should().Equal(new RunEffect.Propagate("yes", SourceOutcome.Skipped, null));
    }

    [Fact]
    public void OnStepFinished_Succeeded_StoresTheOutputEndsTheStepAndPropagates()
    {
        var plan = new RunPlanBuilder().Step("a").Step("b", "a").Build();

        var decision = StepDecisions.OnStepFinished(Run(), plan, Step("a", StepStatus.Running), Finished("a", 1, output: """{"total":42}"""), Context());

        var a = decision.StepSet("a");
        a.Status.Should().Be(StepStatus.Succeeded);
        JsonDocument.Parse(a.Output!).RootElement.GetProperty("total").GetInt32().Should().Be(42);
        a.DeadlineAt.Should().BeNull();
        decision.Of<RunEffect.RecordAttempt>().Single().Should().Match<RunEffect.RecordAttempt>(r => r.Status == "succeeded" && r.StartedAt == Now.AddSeconds(-5));
        decision.Events().Should().Equal(RunEventTypes.StepStarted, RunEventTypes.StepSucceeded);
        decision.Effects[^1].Should().Be(new RunEffect.Propagate("a", SourceOutcome.Finished, null));
    }

    [Fact]
    public void OnStepFinished_ConditionSucceeded_PropagatesTheBranchItTook()
    {
        var plan = new RunPlanBuilder().Condition("c").Build();

        var decision = StepDecisions.OnStepFinished(Run(1), plan, Step("c", StepStatus.Running), Finished("c", 1, output: """{"result":true}"""), Context());

        decision.StepSet("c").ConditionResult.Should().BeTrue();
        decision.Of<RunEffect.Propagate>().Single().ConditionResult.Should().BeTrue();
    }

    [Fact]
    public void OnStepFinished_ForAnOldAttempt_DecidesNothing()
    {
        var plan = new RunPlanBuilder().Step("a").Build();

        StepDecisions.OnStepFinished(Run(1), plan, Step("a", StepStatus.Running, attempt: 2), Finished("a", 1), Context()).IsNone.Should().BeTrue();
        StepDecisions.OnStepFinished(Run(1), plan, Step("a", StepStatus.Retrying, attempt: 1), Finished("a", 1), Context()).IsNone.Should().BeTrue();
        StepDecisions.OnStepFinished(Run(1), plan, null, Finished("a", 1), Context()).IsNone.Should().BeTrue();
    }

    [Theory]
    [InlineData(1, 2)]
    [InlineData(2, 4)]
    public void OnStepFinished_RetryableFailureWithAttemptsLeft_SchedulesTheNextAttemptAfterTheBackoff(int attempt, int delaySeconds)
    {
        var plan = new RunPlanBuilder().Step("a").Retrying("a", ThreeExponential).Build();

        var decision = StepDecisions.OnStepFinished(Run(1), plan, Step("a", StepStatus.Running, attempt), Finished("a", attempt, succeeded: false), Context());

        decision.StepSet("a").Should().Match<StepState>(s => s.Status == StepStatus.Retrying && s.Error == "boom");
        var timer = decision.Of<RunEffect.Timer<StepRetryDue>>().Single();
        timer.Payload.Attempt.Should().Be(attempt + 1);
        timer.Due.Should().Be(Now + TimeSpan.FromSeconds(delaySeconds));
        timer.Token.Should().Be(TimerTokens.For(TimerKinds.Retry, RunId, "a", attempt + 1));
        decision.Events().Should().Equal(RunEventTypes.StepStarted, RunEventTypes.StepRetryScheduled);
        decision.Of<RunEffect.StepEnded>().Should().BeEmpty();
        decision.Of<RunEffect.RunEnded>().Should().BeEmpty();
    }

    [Fact]
    public void OnStepFinished_JitteredRetry_UsesTheContextsSample()
    {
        var plan = new RunPlanBuilder().Step("a").Retrying("a", new RetryPolicy(2, BackoffKind.Fixed, TimeSpan.FromSeconds(10), null, true)).Build();

        var decision = StepDecisions.OnStepFinished(Run(1), plan, Step("a", StepStatus.Running), Finished("a", 1, succeeded: false), Context(jitter: 0));

        decision.Of<RunEffect.Timer<StepRetryDue>>().Single().Due.Should().Be(Now + TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void OnStepFinished_RetriesExhausted_FailsTheStepAndTheRun()
    {
        var plan = new RunPlanBuilder().Step("a").Step("b", "a").Retrying("a", ThreeExponential).Build();

        var decision = StepDecisions.OnStepFinished(Run(), plan, Step("a", StepStatus.Running, 3), Finished("a", 3, succeeded: false), Context());

        decision.StepSet("a").Status.Should().Be(StepStatus.Failed);
        decision.Of<RunEffect.Timer>().Should().BeEmpty();
        decision.Of<RunEffect.RunEnded>().Single().Should().Be(new RunEffect.RunEnded(RunOutcome.Failed, "Step 'a' failed: boom", Now));
        decision.Of<RunEffect.CancelOpenSteps>().Should().ContainSingle();
        decision.Of<RunEffect.DiscardWork>().Should().ContainSingle("work dispatched earlier in the transition must not leave");
        decision.Of<RunEffect.StopWork>().Single().Message.StepId.Should().BeNull();
        decision.Events().Should().Equal(RunEventTypes.StepStarted, RunEventTypes.StepFailed, RunEventTypes.RunFailed);
        decision.Of<RunEffect.Propagate>().Should().BeEmpty();
    }

    [Fact]
    public void OnStepFinished_NotRetryable_FailsAtOnceDespiteAttemptsLeft()
    {
        var plan = new RunPlanBuilder().Step("a").Retrying("a", ThreeExponential).Build();

        var decision = StepDecisions.OnStepFinished(Run(1), plan, Step("a", StepStatus.Running), Finished("a", 1, succeeded: false, retryable: false), Context());

        decision.StepSet("a").Status.Should().Be(StepStatus.Failed);
        decision.Of<RunEffect.RunEnded>().Single().Outcome.Should().Be(RunOutcome.Failed);
    }

    [Fact]
    public void OnStepFinished_FailureWithContinueOnError_EndsTheStepAndCarriesOn()
    {
        var plan = new RunPlanBuilder().Step("a").Step("b", "a").ContinuingOnError("a").Build();

        var decision = StepDecisions.OnStepFinished(Run(), plan, Step("a", StepStatus.Running), Finished("a", 1, succeeded: false, retryable: false), Context());

        decision.StepSet("a").Status.Should().Be(StepStatus.Failed);
        decision.Of<RunEffect.StepEnded>().Should().ContainSingle();
        decision.Of<RunEffect.RunEnded>().Should().BeEmpty();
        decision.Effects[^1].Should().Be(new RunEffect.Propagate("a", SourceOutcome.Finished, null));
    }

    [Fact]
    public void OnStepTimedOut_LastDeliveryUnreported_TellsTheWorkerToStopAndRetries()
    {
        var plan = new RunPlanBuilder().Step("a").Retrying("a", ThreeExponential).Build();

        var decision = StepDecisions.OnStepTimedOut(Run(1), plan, Step("a", StepStatus.Running) with { AttemptDeliveries = 6 },
            new StepTimedOut { RunId = RunId, StepId = "a", Attempt = 1, Timestamp = Now }, Context());

        decision.Of<RunEffect.StopWork>().Single().Message.Should().Match<StepExecutionCancelled>(m => m.StepId == "a" && m.Attempt == 1);
        decision.Of<RunEffect.RecordAttempt>().Single().Status.Should().Be("timed_out");
        decision.StepSet("a").Error.Should().Be("Attempt 1 did not finish within its timeout of 00:05:00 (sent 6 times; no worker reported on it).");
        decision.Of<RunEffect.Timer<StepRetryDue>>().Should().ContainSingle();
    }

    [Fact]
    public void OnStepTimedOut_AttemptNoWorkerReportedOn_SendsTheSameAttemptAgainInsteadOfFailing()
    {
        // Issue #10: no retries left; the attempt's message waited out an outage longer than the step's timeout.
        var plan = new RunPlanBuilder().Step("a").Build();

        var decision = StepDecisions.OnStepTimedOut(Run(1), plan, Step("a", StepStatus.Running) with { AttemptDeliveries = 1, DeadlineAt = Now.AddSeconds(-1) },
            new StepTimedOut { RunId = RunId, StepId = "a", Attempt = 1, Timestamp = Now }, Context());

        decision.Effects[^1].Should().Be(new RunEffect.Dispatch("a", Redeliver: true));
        decision.Events().Should().Equal(RunEventTypes.RunRedriven);
        decision.Of<RunEffect.RecordEvent>().Single().Data.Should().Contain("\"delivery\":2");
        decision.Of<RunEffect.StopWork>().Should().BeEmpty("workers would drop the new copy of the same attempt");
        decision.Of<RunEffect.RecordAttempt>().Should().BeEmpty();
        decision.Of<RunEffect.RunEnded>().Should().BeEmpty();
    }

    [Fact]
    public void OnStepTimedOut_DecidedBeforeTheCurrentDeadline_DecidesNothing()
    {
        // A second timeout for the first sending (sweeper and watchdog both saw it) after the attempt was sent again.
        var plan = new RunPlanBuilder().Step("a").Build();

        var decision = StepDecisions.OnStepTimedOut(Run(1), plan, Step("a", StepStatus.Running) with { AttemptDeliveries = 2, DeadlineAt = Now.AddMinutes(2) },
            new StepTimedOut { RunId = RunId, StepId = "a", Attempt = 1, Timestamp = Now.AddSeconds(-1) }, Context());

        decision.IsNone.Should().BeTrue();
    }

    [Fact]
    public void Dispatch_Redeliver_SendsTheSameAttemptWithTheNextDeliveryAndTwiceTheWindow()
    {
        var plan = new RunPlanBuilder().Step("a").Build();
        var step = Step("a", StepStatus.Running) with { AttemptDeliveries = 1, DeadlineAt = Now.AddSeconds(-1) };

        var decision = StepDecisions.Dispatch(Run(1), plan, step, new DispatchInputs(new Dictionary<string, JsonElement>()), Context(), redeliver: true);

        decision.StepSet("a").Should().Match<StepState>(s => s.Attempt == 1 && s.AttemptDeliveries == 2
            && s.AttemptDispatchedAt == step.AttemptDispatchedAt && s.DeadlineAt == Now + TimeSpan.FromMinutes(2) + TimeSpan.FromMinutes(5));
        decision.Of<RunEffect.SendWork>().Single().Message.Should().Match<ExecuteStep>(m =>
            m.Attempt == 1 && m.Delivery == 2 && m.StartBy == Now + TimeSpan.FromMinutes(2) && m.Timeout == TimeSpan.FromMinutes(5));
        decision.Events().Should().BeEmpty("the attempt is not a new one");
    }

    [Fact]
    public void OnStepFinished_RetryScheduled_KeepsTheRetrysDueTimeOnTheStep()
    {
        // A watchdog that finds the retry timer lost re-sends it at this time, not at once.
        var plan = new RunPlanBuilder().Step("a").Retrying("a", new RetryPolicy(2, BackoffKind.Fixed, TimeSpan.FromMinutes(10), null, false)).Build();

        var decision = StepDecisions.OnStepFinished(Run(1), plan, Step("a", StepStatus.Running), Finished("a", 1, succeeded: false), Context());

        decision.StepSet("a").Should().Match<StepState>(s => s.Status == StepStatus.Retrying && s.DeadlineAt == Now + TimeSpan.FromMinutes(10));
    }

    [Fact]
    public void OnRetryDue_RetryingStep_DispatchesIt()
    {
        var retryDue = new StepRetryDue { RunId = RunId, StepId = "a", Attempt = 2, Timestamp = Now };

        StepDecisions.OnRetryDue(Step("a", StepStatus.Retrying, 1), retryDue).Effects.Should().Equal(new RunEffect.Dispatch("a"));
        StepDecisions.OnRetryDue(Step("a", StepStatus.Running, 2), retryDue).IsNone.Should().BeTrue();
    }

    [Fact]
    public void Dispatch_WorkerStep_SendsItsWorkWithADeadline()
    {
        var plan = new RunPlanBuilder().Step("a").Build();
        var outputs = new Dictionary<string, JsonElement> { ["x"] = JsonDocument.Parse("1").RootElement.Clone() };

        var decision = StepDecisions.Dispatch(Run(1), plan, Step("a", StepStatus.Pending, 0), new DispatchInputs(outputs), Context());

        // The deadline is the delivery window (1 min) plus the timeout (5 min): the timeout counts from the worker's start.
        decision.StepSet("a").Should().Match<StepState>(s => s.Status == StepStatus.Running && s.Attempt == 1 && s.AttemptDeliveries == 1
            && s.DeadlineAt == Now + TimeSpan.FromMinutes(6));
        var work = decision.Of<RunEffect.SendWork>().Single();
        work.Queue.Should().Be(StepQueues.For(StepTypes.Transform));
        work.Message.Should().Match<ExecuteStep>(m => m.Attempt == 1 && m.Delivery == 1 && m.StartBy == Now + TimeSpan.FromMinutes(1)
            && m.Timeout == TimeSpan.FromMinutes(5) && m.Deadline == Now + TimeSpan.FromMinutes(6) && m.StepOutputs.ContainsKey("x"));
        work.Message.Input.GetProperty("id").GetInt32().Should().Be(7);
        decision.Events().Should().Equal(RunEventTypes.StepReady);
    }

    [Fact]
    public void Dispatch_SecretNotSet_FailsTheAttemptWithoutSendingWork()
    {
        var built = new RunPlanBuilder().Step("a").Build();
        var plan = new RunPlan([built["a"] with { SecretNames = ["token"] }], built.Options);

        var decision = StepDecisions.Dispatch(Run(1), plan, Step("a", StepStatus.Pending, 0), DispatchInputs.Empty, Context());

        decision.Of<RunEffect.SendWork>().Should().BeEmpty();
        decision.StepSet("a").Error.Should().Contain("The secret 'token' is not set in workspace 'default'");
        decision.Of<RunEffect.RunEnded>().Single().Outcome.Should().Be(RunOutcome.Failed);
    }

    [Fact]
    public void Dispatch_Delay_WaitsOnADurableTimerUntilItsEnd()
    {
        var plan = new RunPlanBuilder().Typed("wait", StepTypes.Delay, "{}").Build();
        var until = Now.AddMinutes(10);

        var decision = StepDecisions.Dispatch(Run(1), plan, Step("wait", StepStatus.Pending, 0), DispatchInputs.Empty with { DelayUntil = until }, Context());

        decision.StepSet("wait").Should().Match<StepState>(s => s.Status == StepStatus.Waiting && s.StartedAt == Now);
        var timer = decision.Of<RunEffect.Timer<DelayElapsed>>().Single();
        timer.Due.Should().Be(until);
        timer.Token.Should().Be(TimerTokens.For(TimerKinds.Delay, RunId, "wait", 1));
        decision.Of<RunEffect.SendWork>().Should().BeEmpty();
    }

    [Fact]
    public void Dispatch_DelayWhoseEndCannotBeWorkedOut_FailsTheAttempt()
    {
        var plan = new RunPlanBuilder().Typed("wait", StepTypes.Delay, "{}").Build();

        var decision = StepDecisions.Dispatch(Run(1), plan, Step("wait", StepStatus.Pending, 0), DispatchInputs.Empty with { Problem = "bad date" }, Context());

        decision.StepSet("wait").Error.Should().Be("The delay's end could not be worked out: bad date");
        decision.Of<RunEffect.Timer>().Should().BeEmpty();
    }

    [Fact]
    public void OnDelayElapsed_CurrentAttempt_SucceedsWithWhenItWaitedUntil()
    {
        var plan = new RunPlanBuilder().Typed("wait", StepTypes.Delay, "{}").Build();
        var elapsed = new DelayElapsed { RunId = RunId, StepId = "wait", Attempt = 1, Timestamp = Now.AddSeconds(-1) };

        var decision = StepDecisions.OnDelayElapsed(plan, Step("wait", StepStatus.Waiting), elapsed, Context());

        var wait = decision.StepSet("wait");
        wait.Status.Should().Be(StepStatus.Succeeded);
        JsonDocument.Parse(wait.Output!).RootElement.GetProperty("waitedUntil").GetDateTimeOffset().Should().Be(elapsed.Timestamp);
        StepDecisions.OnDelayElapsed(plan, Step("wait", StepStatus.Waiting, 2), elapsed, Context()).IsNone.Should().BeTrue();
    }

    [Fact]
    public void Dispatch_Approval_OpensARequestThatExpires()
    {
        var plan = new RunPlanBuilder().Typed("ask", StepTypes.Approval, "{}", TimeSpan.FromHours(1)).Build();

        var decision = StepDecisions.Dispatch(Run(1), plan, Step("ask", StepStatus.Pending, 0), DispatchInputs.Empty with { ApprovalMessage = "Pay?" }, Context());

        decision.StepSet("ask").Status.Should().Be(StepStatus.Waiting);
        decision.Of<RunEffect.ApprovalsChanged>().Single().Delta.Should().Be(1);
        decision.Of<RunEffect.OpenApproval>().Single().Should().Be(new RunEffect.OpenApproval("ask", 1, "Pay?", Now, Now.AddHours(1)));
        decision.Of<RunEffect.Timer<ApprovalExpired>>().Single().Due.Should().Be(Now.AddHours(1));
        decision.Events().Should().Equal(RunEventTypes.StepReady, RunEventTypes.ApprovalRequested);
    }

    [Fact]
    public void OnApprovalDecided_Approve_CancelsTheExpiryAndSucceedsWithTheDecision()
    {
        var plan = new RunPlanBuilder().Typed("ask", StepTypes.Approval, "{}", TimeSpan.FromHours(1)).Build();

        var decision = StepDecisions.OnApprovalDecided(Run(1, openApprovals: 1), plan, Step("ask", StepStatus.Waiting), Decide(approved: true), Context());

        decision.Of<RunEffect.CancelTimer>().Single().Token.Should().Be(TimerTokens.For(TimerKinds.Approval, RunId, "ask", 1));
        decision.Of<RunEffect.ApprovalsChanged>().Single().Delta.Should().Be(-1);
        var ask = decision.StepSet("ask");
        ask.Status.Should().Be(StepStatus.Succeeded);
        JsonDocument.Parse(ask.Output!).RootElement.GetProperty("decidedBy").GetString().Should().Be("ann");
        decision.Events().Should().Equal(RunEventTypes.ApprovalDecided, RunEventTypes.StepSucceeded);
    }

    [Fact]
    public void OnApprovalDecided_Reject_FailsTheStepWithoutRetry()
    {
        var plan = new RunPlanBuilder().Typed("ask", StepTypes.Approval, "{}").Retrying("ask", ThreeExponential).Build();

        var decision = StepDecisions.OnApprovalDecided(Run(1, openApprovals: 1), plan, Step("ask", StepStatus.Waiting), Decide(approved: false), Context());

        decision.StepSet("ask").Should().Match<StepState>(s => s.Status == StepStatus.Failed && s.Error == "Rejected by ann: not now");
        decision.Of<RunEffect.RunEnded>().Single().Outcome.Should().Be(RunOutcome.Failed);
    }

    [Fact]
    public void OnApprovalExpired_Claimed_FailsTheStepAsExpired()
    {
        var plan = new RunPlanBuilder().Typed("ask", StepTypes.Approval, "{}", TimeSpan.FromHours(1)).Build();
        var expired = new ApprovalExpired { RunId = RunId, StepId = "ask", Attempt = 1, Timestamp = Now };

        var decision = StepDecisions.OnApprovalExpired(Run(1, openApprovals: 1), plan, Step("ask", StepStatus.Waiting), expired, claimed: true, Context());

        decision.StepSet("ask").Error.Should().Contain("expired");
        decision.Of<RunEffect.RecordEvent>().First().Data.Should().Contain("expired");
        decision.Of<RunEffect.RunEnded>().Single().Outcome.Should().Be(RunOutcome.Failed);
    }

    [Fact]
    public void OnApprovalExpired_APersonDecidedFirst_DecidesNothing()
    {
        var plan = new RunPlanBuilder().Typed("ask", StepTypes.Approval, "{}", TimeSpan.FromHours(1)).Build();
        var expired = new ApprovalExpired { RunId = RunId, StepId = "ask", Attempt = 1, Timestamp = Now };

        StepDecisions.OnApprovalExpired(Run(1, openApprovals: 1), plan, Step("ask", StepStatus.Waiting), expired, claimed: false, Context())
            .IsNone.Should().BeTrue();
    }

    private static DecideApproval Decide(bool approved) => new()
    {
        RunId = RunId,
        StepId = "ask",
        Attempt = 1,
        Approved = approved,
        DecidedBy = "ann",
        Comment = "not now",
        Timestamp = Now,
    };
}
