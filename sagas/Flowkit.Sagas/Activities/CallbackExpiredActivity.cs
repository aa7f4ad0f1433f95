using Flowkit.Contracts;
using Flowkit.Sagas.Decisions;
using Flowkit.Sagas.Planning;

namespace Flowkit.Sagas.Activities;

/// <summary>CallbackExpired, a callback's timer: claims the expiry first, since a call may arrive at the same moment (<see cref="StepDecisions.OnCallbackExpired"/>).</summary>
internal sealed class CallbackExpiredActivity(RunDriver driver) : RunActivity<CallbackExpired>(driver)
{
    protected override async Task<RunDecision> DecideAsync(RunState run, RunPlan plan, CallbackExpired message, CancellationToken cancellationToken)
    {
        var step = await Driver.StepAsync(run, plan, message.StepId, cancellationToken);
        if (!StepDecisions.CallbackExpiryApplies(plan, step, message))
        {
            return RunDecision.None;
        }

        var claimed = await Driver.ClaimCallbackExpiryAsync(run, step, cancellationToken);
        return StepDecisions.OnCallbackExpired(RunDriver.Facts(run), plan, step, message, claimed, Driver.Context());
    }
}
