using Flowkit.Contracts;
using Flowkit.Sagas.Decisions;
using Flowkit.Sagas.Planning;

namespace Flowkit.Sagas.Activities;

/// <summary>CallbackReceived from the API (<see cref="StepDecisions.OnCallbackReceived"/>).</summary>
internal sealed class CallbackReceivedActivity(RunDriver driver) : RunActivity<CallbackReceived>(driver)
{
    protected override async Task<RunDecision> DecideAsync(RunState run, RunPlan plan, CallbackReceived message, CancellationToken cancellationToken)
    {
        var step = await Driver.StepAsync(run, plan, message.StepId, cancellationToken);
        return StepDecisions.OnCallbackReceived(RunDriver.Facts(run), plan, step, message);
    }
}
