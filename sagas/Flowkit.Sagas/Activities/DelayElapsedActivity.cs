using Flowkit.Contracts;
using Flowkit.Sagas.Decisions;
using Flowkit.Sagas.Planning;

namespace Flowkit.Sagas.Activities;

/// <summary>DelayElapsed, a delay step's timer (<see cref="StepDecisions.OnDelayElapsed"/>).</summary>
internal sealed class DelayElapsedActivity(RunDriver driver) : RunActivity<DelayElapsed>(driver)
{
    protected override async Task<RunDecision> DecideAsync(RunState run, RunPlan plan, DelayElapsed message, CancellationToken cancellationToken) =>
        StepDecisions.OnDelayElapsed(plan, await Driver.StepAsync(run, plan, message.StepId, cancellationToken), message, Driver.Context());
}
