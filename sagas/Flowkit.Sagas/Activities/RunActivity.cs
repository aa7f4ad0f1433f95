using Flowkit.Contracts;
using Flowkit.Sagas.Decisions;
using Flowkit.Sagas.Planning;
using MassTransit;

namespace Flowkit.Sagas.Activities;

/// <summary>
/// The shape of every activity of the run saga, one per event: read what the decision needs, ask the pure decision,
/// let <see cref="RunDriver"/> apply it. Subclasses only say how their event is decided.
/// </summary>
internal abstract class RunActivity<TMessage>(RunDriver driver) : IStateMachineActivity<RunState, TMessage>
    where TMessage : class, IRunMessage
{
    protected RunDriver Driver { get; } = driver;

    public async Task Execute(BehaviorContext<RunState, TMessage> context, IBehavior<RunState, TMessage> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var run = context.Saga;
        var cancellationToken = context.CancellationToken;
        var plan = await Driver.BeginAsync(run, cancellationToken);
        var decision = await DecideAsync(run, plan, context.Message, cancellationToken);
        await Driver.ApplyAsync(run, plan, decision, cancellationToken);
        await next.Execute(context);
    }

    /// <summary>What <paramref name="message"/> means for the run (reads rows through <see cref="Driver"/>, changes nothing).</summary>
    protected abstract Task<RunDecision> DecideAsync(RunState run, RunPlan plan, TMessage message, CancellationToken cancellationToken);

    public Task Faulted<TException>(BehaviorExceptionContext<RunState, TMessage, TException> context, IBehavior<RunState, TMessage> next)
        where TException : Exception
    {
        ArgumentNullException.ThrowIfNull(next);
        return next.Faulted(context);
    }

    public void Probe(ProbeContext context) => context?.CreateScope($"run-{typeof(TMessage).Name}");

    public void Accept(StateMachineVisitor visitor) => visitor?.Visit(this);
}
