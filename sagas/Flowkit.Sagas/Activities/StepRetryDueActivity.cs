using Flowkit.Contracts;
using Flowkit.Sagas.Decisions;
using Flowkit.Sagas.Planning;

namespace Flowkit.Sagas.Activities;

/// <summary>StepRetryDue, the backoff timer (<see cref="StepDecisions.OnRetryDue"/>).</summary>
internal sealed class StepRetryDueActivity(RunDriver driver) : RunActivity<StepRetryDue>(driver)
{
    protected override async Task<RunDecision> DecideAsync(RunState run, RunPlan plan, StepRetryDue message, CancellationToken cancellationToken) =>
        StepDecisions.OnRetryDue(await Driver.StepAsync(run, plan, message.StepId, cancellationToken), message);
}
