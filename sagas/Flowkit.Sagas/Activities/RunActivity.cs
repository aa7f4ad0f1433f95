using Flowkit.Contracts;
using MassTransit;

namespace Flowkit.Sagas.Activities;

/// <summary>The one activity of the run saga: hands the message to the matching <see cref="RunDriver"/> method.</summary>
public sealed class RunActivity<TMessage>(RunDriver driver) : IStateMachineActivity<RunState, TMessage>
    where TMessage : class, IRunMessage
{
    public async Task Execute(BehaviorContext<RunState, TMessage> context, IBehavior<RunState, TMessage> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var run = context.Saga;
        var task = context.Message switch
        {
            StartRun => driver.StartAsync(context, run),
            StepFinished m => driver.StepFinishedAsync(context, run, m),
            StepTimedOut m => driver.StepTimedOutAsync(context, run, m),
            StepRetryDue m => driver.RetryDueAsync(context, run, m),
            DelayElapsed m => driver.DelayElapsedAsync(context, run, m),
            DecideApproval m => driver.ApprovalDecidedAsync(context, run, m),
            ApprovalExpired m => driver.ApprovalExpiredAsync(context, run, m),
            CancelRun m => driver.CancelAsync(context, run, m),
            RunTimedOut m => driver.RunTimedOutAsync(context, run, m),
            _ => throw new NotSupportedException($"The run saga has no handler for {typeof(TMessage).Name}."),
        };
        await task;
        driver.PublishTimeline(run);
        await next.Execute(context);
    }

    public Task Faulted<TException>(BehaviorExceptionContext<RunState, TMessage, TException> context, IBehavior<RunState, TMessage> next)
        where TException : Exception
    {
        ArgumentNullException.ThrowIfNull(next);
        return next.Faulted(context);
    }

    public void Probe(ProbeContext context) => context?.CreateScope($"run-{typeof(TMessage).Name}");

    public void Accept(StateMachineVisitor visitor) => visitor?.Visit(this);
}
