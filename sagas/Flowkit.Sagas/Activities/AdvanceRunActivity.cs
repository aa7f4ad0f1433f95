using Flowkit.Contracts;
using MassTransit;

namespace Flowkit.Sagas.Activities;

/// <summary>Records a step's result and advances the run: retries, dispatches, skips, or ends it.</summary>
public sealed class AdvanceRunActivity(RunDriver driver) : IStateMachineActivity<RunState, StepFinished>
{
    public async Task Execute(BehaviorContext<RunState, StepFinished> context, IBehavior<RunState, StepFinished> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        await driver.StepFinishedAsync(context, context.Saga, context.Message);
        await next.Execute(context);
    }

    public Task Faulted<TException>(BehaviorExceptionContext<RunState, StepFinished, TException> context, IBehavior<RunState, StepFinished> next)
        where TException : Exception
    {
        ArgumentNullException.ThrowIfNull(next);
        return next.Faulted(context);
    }

    public void Probe(ProbeContext context) => context?.CreateScope("advance-run");

    public void Accept(StateMachineVisitor visitor) => visitor?.Visit(this);
}
