using Flowkit.Contracts;
using MassTransit;

namespace Flowkit.Sagas.Activities;

/// <summary>Creates the run's step rows and dispatches its roots.</summary>
public sealed class StartRunActivity(RunDriver driver) : IStateMachineActivity<RunState, StartRun>
{
    public async Task Execute(BehaviorContext<RunState, StartRun> context, IBehavior<RunState, StartRun> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        await driver.StartAsync(context, context.Saga);
        await next.Execute(context);
    }

    public Task Faulted<TException>(BehaviorExceptionContext<RunState, StartRun, TException> context, IBehavior<RunState, StartRun> next)
        where TException : Exception
    {
        ArgumentNullException.ThrowIfNull(next);
        return next.Faulted(context);
    }

    public void Probe(ProbeContext context) => context?.CreateScope("start-run");

    public void Accept(StateMachineVisitor visitor) => visitor?.Visit(this);
}
