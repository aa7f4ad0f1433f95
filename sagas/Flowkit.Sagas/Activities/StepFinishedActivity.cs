using Flowkit.Contracts;
using Flowkit.Sagas.Decisions;
using Flowkit.Sagas.Planning;

namespace Flowkit.Sagas.Activities;

/// <summary>StepFinished from a worker (<see cref="StepDecisions.OnStepFinished"/>).</summary>
internal sealed class StepFinishedActivity(RunDriver driver) : RunActivity<StepFinished>(driver)
{
    protected override async Task<RunDecision> DecideAsync(RunState run, RunPlan plan, StepFinished message, CancellationToken cancellationToken)
    {
        var step = await Driver.StepAsync(run, plan, message.StepId, cancellationToken);
        return StepDecisions.OnStepFinished(RunDriver.Facts(run), plan, step, message, Driver.Context());
    }
}
