using Flowkit.Contracts;
using Flowkit.Sagas.Activities;
using MassTransit;

namespace Flowkit.Sagas;

/// <summary>
/// One instance per run. The table of transitions: each event has its own activity (<c>Activities/</c>), which asks
/// the pure decision of its event (<c>Decisions/</c>) what to do and lets <see cref="RunDriver"/> apply it. After each
/// transition the run settles into the state its data says: ended, paused, waiting for a person, or running.
/// </summary>
public sealed class RunStateMachine : MassTransitStateMachine<RunState>
{
    public RunStateMachine()
    {
        InstanceState(x => x.CurrentState);

        // The API creates the run (state Pending) in the same transaction as its StartRun message, so every
        // message finds an instance; one that does not belongs to no run and is dropped.
        Event(() => StartRun, e => ByRun(e));
        Event(() => StepFinished, e => ByRun(e));
        Event(() => StepTimedOut, e => ByRun(e));
        Event(() => StepRetryDue, e => ByRun(e));
        Event(() => DelayElapsed, e => ByRun(e));
        Event(() => DecideApproval, e => ByRun(e));
        Event(() => ApprovalExpired, e => ByRun(e));
        Event(() => CancelRun, e => ByRun(e));
        Event(() => RunTimedOut, e => ByRun(e));
        Event(() => PauseRun, e => ByRun(e));
        Event(() => ResumeRun, e => ByRun(e));
        Event(() => CallbackReceived, e => ByRun(e));
        Event(() => CallbackExpired, e => ByRun(e));

        During(Pending,
            Ignore(StepFinished),
            Ignore(CallbackReceived),
            When(StartRun).Activity(x => x.OfType<StartRunActivity>()).ThenAsync(SettleAsync),
            When(CancelRun).Activity(x => x.OfType<CancelRunActivity>()).ThenAsync(SettleAsync),
            When(PauseRun).Activity(x => x.OfType<PauseRunActivity>()).ThenAsync(SettleAsync),
            Ignore(ResumeRun));

        During(Running, Waiting,
            Ignore(StartRun),
            When(StepFinished).Activity(x => x.OfType<StepFinishedActivity>()).ThenAsync(SettleAsync),
            When(StepTimedOut).Activity(x => x.OfType<StepTimedOutActivity>()).ThenAsync(SettleAsync),
            When(StepRetryDue).Activity(x => x.OfType<StepRetryDueActivity>()).ThenAsync(SettleAsync),
            When(DelayElapsed).Activity(x => x.OfType<DelayElapsedActivity>()).ThenAsync(SettleAsync),
            When(DecideApproval).Activity(x => x.OfType<DecideApprovalActivity>()).ThenAsync(SettleAsync),
            When(ApprovalExpired).Activity(x => x.OfType<ApprovalExpiredActivity>()).ThenAsync(SettleAsync),
            When(RunTimedOut).Activity(x => x.OfType<RunTimedOutActivity>()).ThenAsync(SettleAsync),
            When(CallbackReceived).Activity(x => x.OfType<CallbackReceivedActivity>()).ThenAsync(SettleAsync),
            When(CallbackExpired).Activity(x => x.OfType<CallbackExpiredActivity>()).ThenAsync(SettleAsync),
            When(CancelRun).Activity(x => x.OfType<CancelRunActivity>()).ThenAsync(SettleAsync),
            When(PauseRun).Activity(x => x.OfType<PauseRunActivity>()).ThenAsync(SettleAsync),
            Ignore(ResumeRun));

        // Paused (docs/run-control.md): work already running reports as usual, and a step it makes ready (or a retry
        // that falls due) is held, not dispatched. Timers of waiting steps and approval decisions that arrive now are
        // ignored: their rows say what happened, and resuming settles them from the rows. A run timeout that falls due
        // now fails the run on resume.
        During(Paused,
            When(StartRun).Activity(x => x.OfType<StartRunActivity>()).ThenAsync(SettleAsync),
            When(StepFinished).Activity(x => x.OfType<StepFinishedActivity>()).ThenAsync(SettleAsync),
            When(StepTimedOut).Activity(x => x.OfType<StepTimedOutActivity>()).ThenAsync(SettleAsync),
            When(StepRetryDue).Activity(x => x.OfType<StepRetryDueActivity>()).ThenAsync(SettleAsync),
            When(CallbackReceived).Activity(x => x.OfType<CallbackReceivedActivity>()).ThenAsync(SettleAsync),
            When(CallbackExpired).Activity(x => x.OfType<CallbackExpiredActivity>()).ThenAsync(SettleAsync),
            Ignore(DelayElapsed),
            Ignore(DecideApproval),
            Ignore(ApprovalExpired),
            Ignore(RunTimedOut),
            When(CancelRun).Activity(x => x.OfType<CancelRunActivity>()).ThenAsync(SettleAsync),
            Ignore(PauseRun),
            When(ResumeRun).Activity(x => x.OfType<ResumeRunActivity>()).ThenAsync(SettleAsync));

        // A late or duplicate message for a run that has ended changes nothing.
        During(Succeeded, Failed, Cancelled,
            Ignore(StartRun),
            Ignore(StepFinished),
            Ignore(StepTimedOut),
            Ignore(StepRetryDue),
            Ignore(DelayElapsed),
            Ignore(DecideApproval),
            Ignore(ApprovalExpired),
            Ignore(CancelRun),
            Ignore(RunTimedOut),
            Ignore(PauseRun),
            Ignore(ResumeRun),
            Ignore(CallbackReceived),
            Ignore(CallbackExpired));
    }

    public State Pending { get; private set; } = null!;

    public State Running { get; private set; } = null!;

    public State Waiting { get; private set; } = null!;

    public State Paused { get; private set; } = null!;

    public State Succeeded { get; private set; } = null!;

    public State Failed { get; private set; } = null!;

    public State Cancelled { get; private set; } = null!;

    public Event<StartRun> StartRun { get; private set; } = null!;

    public Event<StepFinished> StepFinished { get; private set; } = null!;

    public Event<StepTimedOut> StepTimedOut { get; private set; } = null!;

    public Event<StepRetryDue> StepRetryDue { get; private set; } = null!;

    public Event<DelayElapsed> DelayElapsed { get; private set; } = null!;

    public Event<DecideApproval> DecideApproval { get; private set; } = null!;

    public Event<ApprovalExpired> ApprovalExpired { get; private set; } = null!;

    public Event<CancelRun> CancelRun { get; private set; } = null!;

    public Event<RunTimedOut> RunTimedOut { get; private set; } = null!;

    public Event<PauseRun> PauseRun { get; private set; } = null!;

    public Event<ResumeRun> ResumeRun { get; private set; } = null!;

    public Event<CallbackReceived> CallbackReceived { get; private set; } = null!;

    public Event<CallbackExpired> CallbackExpired { get; private set; } = null!;

    private static void ByRun<T>(IEventCorrelationConfigurator<RunState, T> e)
        where T : class, IRunMessage
    {
        e.CorrelateById(c => c.Message.RunId);
        e.OnMissingInstance(m => m.Discard());
    }

    /// <summary>Moves the run to the state its data calls for after a transition (a run waiting for capacity stays pending).</summary>
    private Task SettleAsync<T>(BehaviorContext<RunState, T> context)
        where T : class
    {
        var target = context.Saga switch
        {
            { Outcome: RunOutcome.Succeeded } => Succeeded,
            { Outcome: RunOutcome.Failed } => Failed,
            { Outcome: RunOutcome.Cancelled } => Cancelled,
            { PausedAt: not null } => Paused,
            { StartedAt: null } => Pending,
            { OpenApprovals: > 0 } => Waiting,
            _ => Running,
        };
        return target.Name == context.Saga.CurrentState ? Task.CompletedTask : context.TransitionToState(target);
    }
}
