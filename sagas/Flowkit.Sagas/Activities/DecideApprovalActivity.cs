using Flowkit.Contracts;
using Flowkit.Sagas.Decisions;
using Flowkit.Sagas.Planning;

namespace Flowkit.Sagas.Activities;

/// <summary>DecideApproval from the API (<see cref="StepDecisions.OnApprovalDecided"/>).</summary>
internal sealed class DecideApprovalActivity(RunDriver driver) : RunActivity<DecideApproval>(driver)
{
    protected override async Task<RunDecision> DecideAsync(RunState run, RunPlan plan, DecideApproval message, CancellationToken cancellationToken)
    {
        var step = await Driver.StepAsync(run, plan, message.StepId, cancellationToken);
        return StepDecisions.OnApprovalDecided(RunDriver.Facts(run), plan, step, message, Driver.Context());
    }
}
