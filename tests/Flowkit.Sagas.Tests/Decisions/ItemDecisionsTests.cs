using System.Text.Json;
using Flowkit.Contracts;
using Flowkit.Sagas.Decisions;
using Flowkit.Sagas.Planning;
using static Flowkit.Sagas.Tests.Decisions.DecisionFacts;

namespace Flowkit.Sagas.Tests.Decisions;

/// <summary>For-each steps as pure decisions (issue #12): start, items in flight, retries, the end, pause and resume.</summary>
public sealed class ItemDecisionsTests
{
    private static RunPlan Plan(int concurrency = 2, bool continueOnError = false, RetryPolicy? retry = null)
    {
        var plan = new RunPlanBuilder().Typed("each", StepTypes.Http, """{"forEach":"{{ input.items }}"}""").Step("after", "each");
        if (continueOnError)
        {
            plan.ContinuingOnError("each");
        }

        if (retry is not null)
        {
            plan.Retrying("each", retry);
        }

        var built = plan.Build();
        var steps = built.Steps.Select(s => s.Id == "each" ? s with { ForEach = "{{ input.items }}", ForEachConcurrency = concurrency } : s).ToArray();
        return new RunPlan(steps, built.Options);
    }

    private static DispatchInputs Items(string json) => DispatchInputs.Empty with { ForEachItems = JsonDocument.Parse(json).RootElement.Clone() };

    private static StepState Parent(int count, int dispatched, int finished = 0, int failed = 0) =>
        Step("each", StepStatus.Running) with { ItemCount = count, ItemsDispatched = dispatched, ItemsFinished = finished, ItemsFailed = failed, StartedAt = Now.AddMinutes(-1) };

    private static ItemState Item(int index, StepStatus status = StepStatus.Running, int attempt = 1) =>
        new("each", index, status, attempt) { Value = index.ToString(System.Globalization.CultureInfo.InvariantCulture), DeadlineAt = Now.AddMinutes(1) };

    private static StepFinished ItemFinished(int index, int attempt, bool succeeded = true, bool retryable = false) =>
        Finished("each", attempt, succeeded, retryable, $$"""{"index":{{index}}}""") with { Item = index };

    [Fact]
    public void Dispatch_ForEachStep_StoresTheItemsAndDispatchesUpToItsConcurrency()
    {
        var decision = StepDecisions.Dispatch(Run(), Plan(concurrency: 3), Step("each", StepStatus.Pending, 0), Items("[10,11,12,13,14]"), Context());

        decision.StepSet("each").Should().Match<StepState>(s => s.Status == StepStatus.Running && s.ItemCount == 5 && s.ItemsDispatched == 3);
        decision.Of<RunEffect.AddItems>().Single().List.GetArrayLength().Should().Be(5);
        decision.Of<RunEffect.DispatchItem>().Select(d => d.Index).Should().Equal(0, 1, 2);
        decision.Of<RunEffect.SendWork>().Should().BeEmpty("the step itself never goes to a worker");
    }

    [Fact]
    public void Dispatch_EmptyList_SucceedsAtOnceWithAnEmptyList()
    {
        var decision = StepDecisions.Dispatch(Run(), Plan(), Step("each", StepStatus.Pending, 0), Items("[]"), Context());

        decision.StepSet("each").Should().Match<StepState>(s => s.Status == StepStatus.Succeeded && s.Output == "[]" && s.ItemCount == 0);
        decision.Of<RunEffect.DispatchItem>().Should().BeEmpty();
        decision.Of<RunEffect.Propagate>().Select(p => p.StepId).Should().Equal("each");
    }

    [Theory]
    [InlineData("""{"a":1}""", "an object")]
    [InlineData("\"text\"", "a string")]
    [InlineData("null", "null")]
    public void Dispatch_NotAList_FailsTheStepWithAPlainError(string value, string described)
    {
        var decision = StepDecisions.Dispatch(Run(), Plan(), Step("each", StepStatus.Pending, 0), Items(value), Context());

        decision.StepSet("each").Should().Match<StepState>(s => s.Status == StepStatus.Failed && s.Error!.Contains("forEach must give a list") && s.Error.Contains(described));
        decision.Of<RunEffect.RunEnded>().Single().Outcome.Should().Be(RunOutcome.Failed);
    }

    [Fact]
    public void DispatchItem_SendsTheItemWithItsIndexValueAndOwnAttempt()
    {
        var decision = ItemDecisions.Dispatch(Run(), Plan(), Parent(5, 2), Item(1, StepStatus.Pending, 0), DispatchInputs.Empty, Context());

        var work = decision.Of<RunEffect.SendWork>().Single().Message;
        work.Item.Should().Be(1);
        work.ItemValue!.Value.GetInt32().Should().Be(1);
        work.Attempt.Should().Be(1);
        work.IdempotencyKey.Should().Be($"{RunId}:each:1");
        decision.Of<RunEffect.SetItem>().Single().Item.Should().Match<ItemState>(i => i.Status == StepStatus.Running && i.Attempt == 1 && i.DeadlineAt != null);
    }

    [Fact]
    public void DispatchItem_RunPaused_HoldsTheItem()
    {
        var decision = ItemDecisions.Dispatch(Run() with { PausedAt = Now }, Plan(), Parent(5, 2), Item(1, StepStatus.Retrying, 1), DispatchInputs.Empty, Context());

        decision.Of<RunEffect.SendWork>().Should().BeEmpty();
        var held = decision.Of<RunEffect.SetItem>().Single().Item;
        ItemDecisions.IsHeld(held).Should().BeTrue();
    }

    [Fact]
    public void OnItemFinished_Succeeded_FillsItsSlotAndDispatchesTheNextItem()
    {
        var decision = ItemDecisions.OnItemFinished(Run(), Plan(), Parent(5, 2), Item(0), ItemFinished(0, 1), Context());

        decision.Of<RunEffect.SetItem>().Single().Item.Status.Should().Be(StepStatus.Succeeded);
        decision.StepSet("each").Should().Match<StepState>(s => s.ItemsFinished == 1 && s.ItemsDispatched == 3 && s.Status == StepStatus.Running);
        decision.Of<RunEffect.DispatchItem>().Single().Index.Should().Be(2);
        decision.Events().Should().Equal(RunEventTypes.ItemStarted, RunEventTypes.ItemSucceeded);
    }

    [Fact]
    public void OnItemFinished_RunPaused_DispatchesNothingNew()
    {
        var decision = ItemDecisions.OnItemFinished(Run() with { PausedAt = Now }, Plan(), Parent(5, 2), Item(0), ItemFinished(0, 1), Context());

        decision.StepSet("each").Should().Match<StepState>(s => s.ItemsFinished == 1 && s.ItemsDispatched == 2);
        decision.Of<RunEffect.DispatchItem>().Should().BeEmpty();
    }

    [Fact]
    public void OnItemFinished_LastItem_CompletesTheStep()
    {
        var decision = ItemDecisions.OnItemFinished(Run(), Plan(), Parent(3, 3, finished: 2), Item(2), ItemFinished(2, 1), Context());

        decision.Of<RunEffect.CompleteItems>().Single().StepId.Should().Be("each");
        decision.Of<RunEffect.DispatchItem>().Should().BeEmpty();
    }

    [Fact]
    public void OnItemFinished_NotTheCurrentAttempt_ChangesNothing()
    {
        ItemDecisions.OnItemFinished(Run(), Plan(), Parent(3, 2), Item(0, attempt: 2), ItemFinished(0, 1), Context()).IsNone.Should().BeTrue();
        ItemDecisions.OnItemFinished(Run(), Plan(), Parent(3, 2) with { Status = StepStatus.Failed }, Item(0), ItemFinished(0, 1), Context()).IsNone.Should().BeTrue();
    }

    [Fact]
    public void OnItemFinished_RetryableFailureWithAttemptsLeft_SchedulesTheItemsOwnRetry()
    {
        var plan = Plan(retry: new RetryPolicy(3, BackoffKind.Fixed, TimeSpan.FromSeconds(2), null, false));

        var decision = ItemDecisions.OnItemFinished(Run(), plan, Parent(3, 2), Item(1), ItemFinished(1, 1, succeeded: false, retryable: true), Context());

        decision.Of<RunEffect.SetItem>().Single().Item.Should().Match<ItemState>(i => i.Status == StepStatus.Retrying && i.DeadlineAt == Now.AddSeconds(2));
        var timer = decision.Of<RunEffect.Timer>().Single();
        timer.Message.Should().BeOfType<StepRetryDue>().Which.Should().Match<StepRetryDue>(m => m.Item == 1 && m.Attempt == 2);
        timer.Token.Should().Be(TimerTokens.For(TimerKinds.Retry, RunId, "each[1]", 2));
        decision.Of<RunEffect.SetStep>().Should().BeEmpty("the step's counters move only when an item ends");
    }

    [Fact]
    public void OnItemFinished_FailedWithoutContinueOnError_FailsTheStepAndTheRun()
    {
        var decision = ItemDecisions.OnItemFinished(Run(), Plan(), Parent(3, 2), Item(1), ItemFinished(1, 1, succeeded: false), Context());

        decision.StepSet("each").Should().Match<StepState>(s => s.Status == StepStatus.Failed && s.Error!.StartsWith("Item 1 failed", StringComparison.Ordinal));
        decision.Of<RunEffect.RunEnded>().Single().Outcome.Should().Be(RunOutcome.Failed);
        decision.Of<RunEffect.DispatchItem>().Should().BeEmpty();
    }

    [Fact]
    public void OnItemFinished_FailedWithContinueOnError_CountsItAndGoesOn()
    {
        var decision = ItemDecisions.OnItemFinished(Run(), Plan(continueOnError: true), Parent(3, 2), Item(1), ItemFinished(1, 1, succeeded: false), Context());

        decision.StepSet("each").Should().Match<StepState>(s => s.Status == StepStatus.Running && s.ItemsFailed == 1 && s.ItemsDispatched == 3);
        decision.Of<RunEffect.RunEnded>().Should().BeEmpty();
        decision.Events().Should().Contain(RunEventTypes.ItemFailed);
    }

    [Fact]
    public void Complete_AllItemsEnded_SucceedsWithTheOutputsInOrder()
    {
        var outputs = JsonDocument.Parse("""[{"i":0},{"error":{"message":"x","code":null}},{"i":2}]""").RootElement.Clone();

        var decision = ItemDecisions.Complete(Plan(), Parent(3, 3, finished: 3, failed: 1), outputs, Context());

        decision.StepSet("each").Should().Match<StepState>(s => s.Status == StepStatus.Succeeded && s.Output == outputs.GetRawText());
        decision.Of<RunEffect.Propagate>().Select(p => p.StepId).Should().Equal("each");
    }

    [Fact]
    public void OnItemTimedOut_DeliveriesLeft_SendsTheItemsAttemptAgain()
    {
        var message = new StepTimedOut { RunId = RunId, StepId = "each", Item = 1, Attempt = 1, Timestamp = Now.AddMinutes(2) };

        var decision = ItemDecisions.OnItemTimedOut(Run(), Plan(), Parent(3, 2), Item(1) with { AttemptDeliveries = 1 }, message, Context() with { MaxDeliveries = 3 });

        decision.Of<RunEffect.DispatchItem>().Single().Should().Be(new RunEffect.DispatchItem("each", 1, Redeliver: true));
    }

    [Fact]
    public void OnItemRetryDue_CurrentRetry_DispatchesTheItem()
    {
        var message = new StepRetryDue { RunId = RunId, StepId = "each", Item = 1, Attempt = 2, Timestamp = Now };

        ItemDecisions.OnItemRetryDue(Parent(3, 2), Item(1, StepStatus.Retrying, 1), message).Of<RunEffect.DispatchItem>().Single().Index.Should().Be(1);
        ItemDecisions.OnItemRetryDue(Parent(3, 2), Item(1, StepStatus.Running, 2), message).IsNone.Should().BeTrue();
    }

    [Fact]
    public void OnResumeRun_ForEachStepWithHeldAndFreePlaces_DispatchesHeldItemsThenFillsUpToItsConcurrency()
    {
        var resume = new ResumeRun { RunId = RunId, Timestamp = Now };
        var parent = Parent(10, dispatched: 4, finished: 2); // two in flight: item 2 held, item 3 running
        var held = new HeldItems(parent, [Item(2, StepStatus.Pending, 1)]);

        var decision = RunDecisions.OnResumeRun(Run() with { PausedAt = Now.AddMinutes(-1) }, Plan(concurrency: 4), resume, [], [], Context(), [held]);

        decision.Of<RunEffect.DispatchItem>().Select(d => d.Index).Should().Equal(2, 4, 5);
        decision.StepSet("each").ItemsDispatched.Should().Be(6);
    }
}
