using Flowkit.Contracts;
using Flowkit.Sagas.Activities;
using MassTransit;

namespace Flowkit.Sagas;

/// <summary>
/// One instance per run. The table of transitions; the work happens in DI-resolved activities that call the pure
/// scheduling functions in <c>Planning/</c> through <see cref="RunDriver"/>.
/// </summary>
public sealed class RunStateMachine : MassTransitStateMachine<RunState>
{
    public RunStateMachine()
    {
        InstanceState(x => x.CurrentState);

        // The API creates the run (state Pending) in the same transaction as its StartRun message, so every
        // message finds an instance; one that does not belongs to no run and is dropped.
        Event(() => StartRun, e =>
        {
            e.CorrelateById(c => c.Message.RunId);
            e.OnMissingInstance(m => m.Discard());
        });
        Event(() => StepFinished, e =>
        {
            e.CorrelateById(c => c.Message.RunId);
            e.OnMissingInstance(m => m.Discard());
        });

        During(Pending,
            When(StartRun)
                .Activity(x => x.OfType<StartRunActivity>())
                .TransitionTo(Running)
                .If(x => x.Saga.Outcome == RunOutcome.Succeeded, b => b.TransitionTo(Succeeded))
                .If(x => x.Saga.Outcome == RunOutcome.Failed, b => b.TransitionTo(Failed)));

        During(Running,
            Ignore(StartRun),
            When(StepFinished)
                .Activity(x => x.OfType<AdvanceRunActivity>())
                .If(x => x.Saga.Outcome == RunOutcome.Succeeded, b => b.TransitionTo(Succeeded))
                .If(x => x.Saga.Outcome == RunOutcome.Failed, b => b.TransitionTo(Failed)));

        // A late or duplicate message for a run that has ended changes nothing.
        During(Succeeded, Failed, Cancelled,
            Ignore(StartRun),
            Ignore(StepFinished));
    }

    public State Pending { get; private set; } = null!;

    public State Running { get; private set; } = null!;

    public State Waiting { get; private set; } = null!;

    public State Succeeded { get; private set; } = null!;

    public State Failed { get; private set; } = null!;

    public State Cancelled { get; private set; } = null!;

    public Event<StartRun> StartRun { get; private set; } = null!;

    public Event<StepFinished> StepFinished { get; private set; } = null!;
}
