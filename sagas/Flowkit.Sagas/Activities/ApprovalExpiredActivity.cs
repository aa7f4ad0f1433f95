using Flowkit.Contracts;
using Flowkit.Sagas.Decisions;
using Flowkit.Sagas.Planning;

namespace Flowkit.Sagas.Activities;

/// <summary>ApprovalExpired, an approval's timer: claims the expiry first, since a person may decide at the same moment (<see cref="StepDecisions.OnApprovalExpired"/>).</summary>
internal sealed class ApprovalExpiredActivity(RunDriver driver) : RunActivity<ApprovalExpired>(driver)
{
    protected override async Task<RunDecision> DecideAsync(RunState run, RunPlan plan, ApprovalExpired message, CancellationToken cancellationToken)
    {
        var step = await Driver.StepAsync(run, plan, message.StepId, cancellationToken);
        if (!StepDecisions.ExpiryApplies(plan, step, message))
        {
            return RunDecision.None;
        }

        var claimed = await Driver.ClaimExpiryAsync(run, step, cancellationToken);
        return StepDecisions.OnApprovalExpired(RunDriver.Facts(run), plan, step, message, claimed, Driver.Context());
    }
}
