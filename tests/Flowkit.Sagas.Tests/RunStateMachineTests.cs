using Flowkit.Contracts;
using Flowkit.Sagas.Planning;
using MassTransit;
using MassTransit.Saga;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Flowkit.Sagas.Tests;

/// <summary>
/// The run state machine on MassTransit's in-memory test harness, with in-memory storage: each rule of issue #5 as
/// the saga applies it. Integration tests run the same rules through RabbitMQ and PostgreSQL.
/// </summary>
public sealed class RunStateMachineTests : IAsyncDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero));
    private readonly RecordingOutbox _outbox = new();
    private readonly FixedSlots _slots = new();
    private ServiceProvider? _provider;
    private InMemoryRunStore _store = null!;
    private ITestHarness _harness = null!;
    private ISagaStateMachineTestHarness<RunStateMachine, RunState> _saga = null!;

    private async Task<Guid> StartAsync(RunPlan plan, int? limit = null, Action<EngineOptions>? options = null)
    {
        _store = new InMemoryRunStore(limit is null ? plan : new RunPlan(plan.Steps, new RunOptions(null, limit)));
        _provider = new ServiceCollection()
            .AddSingleton<IRunStore>(_store)
            .AddSingleton<IRunCallbacks>(new InMemoryCallbacks())
            .AddSingleton<IOutbox>(_outbox)
            .AddSingleton<IConcurrencySlots>(_slots)
            .AddSingleton<IEngineExpressions, SimpleExpressions>()
            .AddSingleton<TimeProvider>(_time)
            .AddFlowkitRunSaga()
            .Configure<EngineOptions>(o => options?.Invoke(o))
            .AddMassTransitTestHarness(x => x.AddSagaStateMachine<RunStateMachine, RunState>().InMemoryRepository())
            .BuildServiceProvider(true);
        _harness = _provider.GetRequiredService<ITestHarness>();
        // The harness's own waits (6 s of inactivity by default) bound only a failing test; a loaded CI machine has
        // taken 4 s to hand one message to the saga, so they are long here.
        _harness.TestInactivityTimeout = TimeSpan.FromSeconds(30);
        _harness.TestTimeout = TimeSpan.FromMinutes(2);
        await _harness.Start();
        _saga = _harness.GetSagaStateMachineHarness<RunStateMachine, RunState>();

        var runId = Guid.NewGuid();
        _provider.GetRequiredService<IndexedSagaDictionary<RunState>>().Add(new SagaInstance<RunState>(new RunState
        {
            CorrelationId = runId,
            CurrentState = "Pending",
            Workspace = "default",
            WorkflowId = Guid.NewGuid(),
            Workflow = "wf",
            Version = 1,
            Input = "{}",
            CreatedAt = _time.GetUtcNow(),
        }));
        await SendAsync(new StartRun { RunId = runId, Timestamp = _time.GetUtcNow() });
        return runId;
    }

    private async Task SendAsync<T>(T message)
        where T : class, IRunMessage
    {
        var messageId = NewId.NextGuid();
        await _harness.Bus.Publish(message, c => c.MessageId = messageId, TestContext.Current.CancellationToken);
        (await _saga.Consumed.Any<T>(x => x.Context.MessageId == messageId, TestContext.Current.CancellationToken))
            .Should().BeTrue($"the saga should consume the {typeof(T).Name}");
    }

    private RunState Run(Guid runId) => _saga.Sagas.Contains(runId)!;

    private StepRow Step(Guid runId, string stepId) => _store.Steps[(runId, stepId)];

    private StepFinished Finished(Guid runId, string stepId, int attempt, bool succeeded = true, bool retryable = true) => new()
    {
        RunId = runId,
        StepId = stepId,
        Attempt = attempt,
        Succeeded = succeeded,
        Output = succeeded ? System.Text.Json.JsonDocument.Parse("""{"ok":true}""").RootElement.Clone() : null,
        Error = succeeded ? null : new StepError("boom", retryable),
        StartedAt = _time.GetUtcNow(),
        Timestamp = _time.GetUtcNow(),
    };

    [Fact]
    public async Task StartRun_DispatchesRootsAndRuns()
    {
        var runId = await StartAsync(new RunPlanBuilder().Step("a").Step("b", "a").Build());

        Run(runId).CurrentState.Should().Be("Running");
        _outbox.SentOf<ExecuteStep>().Select(e => e.StepId).Should().Equal("a");
        Step(runId, "a").DeadlineAt.Should().Be(_time.GetUtcNow() + new EngineOptions().DeliveryWindow + new EngineOptions().DefaultStepTimeout);
        Step(runId, "b").Status.Should().Be(StepStatus.Pending);
    }

    [Fact]
    public async Task StepFinished_LastStep_RunSucceeds()
    {
        var runId = await StartAsync(new RunPlanBuilder().Step("a").Step("b", "a").Build());

        await SendAsync(Finished(runId, "a", 1));
        _outbox.SentOf<ExecuteStep>().Select(e => e.StepId).Should().Equal("a", "b");
        await SendAsync(Finished(runId, "b", 1));

        Run(runId).CurrentState.Should().Be("Succeeded");
        _store.Attempts.Select(a => (a.StepId, a.Status)).Should().Equal(("a", "succeeded"), ("b", "succeeded"));
        _outbox.Published.OfType<RunTimelineAppended>().SelectMany(t => t.Events).Select(e => e.Type).Should().EndWith("RunSucceeded");
    }

    [Fact]
    public async Task StepFinished_ForAnOldAttempt_ChangesNothing()
    {
        var runId = await StartAsync(new RunPlanBuilder().Step("a").Retrying("a", new RetryPolicy(3, BackoffKind.Fixed, TimeSpan.FromSeconds(5), null, false)).Build());
        await SendAsync(Finished(runId, "a", 1, succeeded: false));
        await SendAsync(new StepRetryDue { RunId = runId, StepId = "a", Attempt = 2, Timestamp = _time.GetUtcNow() });

        await SendAsync(Finished(runId, "a", 1));

        Step(runId, "a").Status.Should().Be(StepStatus.Running);
        Step(runId, "a").Attempt.Should().Be(2);
        Run(runId).CurrentState.Should().Be("Running");
    }

    [Fact]
    public async Task Failure_Retryable_SchedulesTheNextAttemptAfterTheBackoff()
    {
        var runId = await StartAsync(new RunPlanBuilder().Step("a").Retrying("a", new RetryPolicy(3, BackoffKind.Exponential, TimeSpan.FromSeconds(2), null, false)).Build());

        await SendAsync(Finished(runId, "a", 1, succeeded: false));

        Step(runId, "a").Status.Should().Be(StepStatus.Retrying);
        var timer = _outbox.Timers.Values.Single();
        timer.Message.Should().BeOfType<StepRetryDue>().Which.Attempt.Should().Be(2);
        timer.Due.Should().Be(_time.GetUtcNow() + TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task Failure_NotRetryable_FailsTheRunAndCancelsTheRest()
    {
        var runId = await StartAsync(new RunPlanBuilder().Step("a").Step("b", "a").Retrying("a", new RetryPolicy(3, BackoffKind.Fixed, TimeSpan.FromSeconds(1), null, false)).Build());

        await SendAsync(Finished(runId, "a", 1, succeeded: false, retryable: false));

        Run(runId).CurrentState.Should().Be("Failed");
        Step(runId, "a").Status.Should().Be(StepStatus.Failed);
        Step(runId, "b").Status.Should().Be(StepStatus.Cancelled);
        _outbox.Published.OfType<StepExecutionCancelled>().Should().ContainSingle();
    }

    [Fact]
    public async Task FanOut_LaterBranchFailsTheRun_EarlierBranchWorkIsNotSent()
    {
        // Issue #10: b1 is dispatched first in the transition; b2 then fails at dispatch and ends the run.
        var runId = await StartAsync(new RunPlanBuilder()
            .Step("a")
            .Typed("b1", StepTypes.Http, "{}", null, "a")
            .Typed("b2", StepTypes.Delay, "{}", null, "a")
            .Build());
        _outbox.Sent.Clear();

        await SendAsync(Finished(runId, "a", 1));

        Run(runId).CurrentState.Should().Be("Failed");
        Step(runId, "b1").Status.Should().Be(StepStatus.Cancelled);
        _outbox.SentOf<ExecuteStep>().Should().BeEmpty("a run that ended in this transition sends no work");
    }

    [Fact]
    public async Task Timeout_AttemptNoWorkerReportedOn_SendsTheSameAttemptAgain()
    {
        var runId = await StartAsync(new RunPlanBuilder().Step("a").Build());
        _outbox.Sent.Clear();

        _time.SetUtcNow(Step(runId, "a").DeadlineAt!.Value);
        await SendAsync(new StepTimedOut { RunId = runId, StepId = "a", Attempt = 1, Timestamp = _time.GetUtcNow() });

        Step(runId, "a").Should().Match<StepRow>(s => s.Status == StepStatus.Running && s.Attempt == 1 && s.AttemptDeliveries == 2);
        _outbox.SentOf<ExecuteStep>().Should().ContainSingle().Which.Delivery.Should().Be(2);
        Run(runId).CurrentState.Should().Be("Running");
    }

    [Fact]
    public async Task Timeout_LastSendingUnreported_FailsTheAttemptAsRetryable()
    {
        var runId = await StartAsync(new RunPlanBuilder().Step("a").Retrying("a", new RetryPolicy(2, BackoffKind.Fixed, TimeSpan.FromSeconds(1), null, false)).Build(),
            options: o => o.MaxDeliveries = 1);

        _time.SetUtcNow(Step(runId, "a").DeadlineAt!.Value);
        await SendAsync(new StepTimedOut { RunId = runId, StepId = "a", Attempt = 1, Timestamp = _time.GetUtcNow() });

        Step(runId, "a").Status.Should().Be(StepStatus.Retrying);
        _store.Attempts.Single().Status.Should().Be("timed_out");
    }

    [Fact]
    public async Task Approval_Opened_RunWaitsThenContinuesOnApprove()
    {
        var runId = await StartAsync(new RunPlanBuilder().Typed("ask", StepTypes.Approval, """{"message":"ok?"}""", TimeSpan.FromHours(1)).Step("b", "ask").Build());

        Run(runId).CurrentState.Should().Be("Waiting");
        _store.Approvals.Single().ExpiresAt.Should().Be(_time.GetUtcNow() + TimeSpan.FromHours(1));
        await SendAsync(new DecideApproval { RunId = runId, StepId = "ask", Attempt = 1, Approved = true, DecidedBy = "ann", Timestamp = _time.GetUtcNow() });

        Run(runId).CurrentState.Should().Be("Running");
        Step(runId, "ask").Status.Should().Be(StepStatus.Succeeded);
        _outbox.Timers.Should().BeEmpty();
        _outbox.SentOf<ExecuteStep>().Select(e => e.StepId).Should().Equal("b");
    }

    [Fact]
    public async Task Approval_Expired_FailsTheStep()
    {
        var runId = await StartAsync(new RunPlanBuilder().Typed("ask", StepTypes.Approval, """{"message":"ok?"}""", TimeSpan.FromHours(1)).Build());

        await SendAsync(new ApprovalExpired { RunId = runId, StepId = "ask", Attempt = 1, Timestamp = _time.GetUtcNow() });

        Run(runId).CurrentState.Should().Be("Failed");
        Step(runId, "ask").Error.Should().Contain("expired");
    }

    [Fact]
    public async Task Delay_WaitsOnADurableTimerThenSucceeds()
    {
        var runId = await StartAsync(new RunPlanBuilder().Typed("wait", StepTypes.Delay, """{"seconds":60}""").Build());

        Step(runId, "wait").Status.Should().Be(StepStatus.Waiting);
        var timer = _outbox.Timers.Values.Single();
        timer.Due.Should().Be(_time.GetUtcNow() + TimeSpan.FromSeconds(60));
        await SendAsync((DelayElapsed)timer.Message);

        Run(runId).CurrentState.Should().Be("Succeeded");
    }

    [Fact]
    public async Task Cancel_MidRun_CancelsStepsTimersAndTellsWorkers()
    {
        var runId = await StartAsync(new RunPlanBuilder().Step("a").Typed("wait", StepTypes.Delay, """{"seconds":60}""", null, "a").Build());

        await SendAsync(new CancelRun { RunId = runId, Timestamp = _time.GetUtcNow() });
        await SendAsync(Finished(runId, "a", 1));

        Run(runId).CurrentState.Should().Be("Cancelled");
        Step(runId, "a").Status.Should().Be(StepStatus.Cancelled);
        Step(runId, "wait").Attempt.Should().Be(0);
        _outbox.Published.OfType<StepExecutionCancelled>().Should().ContainSingle();
    }

    [Fact]
    public async Task Concurrency_NoSlot_RunStaysPendingWithNothingDispatched()
    {
        _slots.Available = false;

        var runId = await StartAsync(new RunPlanBuilder().Step("a").Build(), limit: 1);

        Run(runId).CurrentState.Should().Be("Pending");
        _outbox.Sent.Should().BeEmpty();
        _store.Steps.Should().BeEmpty();
    }

    public async ValueTask DisposeAsync()
    {
        if (_provider is not null)
        {
            await _provider.DisposeAsync();
        }
    }
}
