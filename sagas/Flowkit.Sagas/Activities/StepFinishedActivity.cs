using Flowkit.Contracts;
using Flowkit.Sagas.Decisions;
using Flowkit.Sagas.Planning;

namespace Flowkit.Sagas.Activities;

/// <summary>StepFinished from a worker (<see cref="StepDecisions.OnStepFinished"/>; for an item of a for-each step <see cref="ItemDecisions.OnItemFinished"/>).</summary>
internal sealed class StepFinishedActivity(RunDriver driver) : RunActivity<StepFinished>(driver)
{
    protected override async Task<RunDecision> DecideAsync(RunState run, RunPlan plan, StepFinished message, CancellationToken cancellationToken)
    {
        if (message.Item is { } index)
        {
            var (parent, item) = await Driver.ItemAsync(run, plan, message.StepId, index, cancellationToken);
            return ItemDecisions.OnItemFinished(RunDriver.Facts(run), plan, parent, item, message, Driver.Context());
        }

        var step = await Driver.StepAsync(run, plan, message.StepId, cancellationToken);
        return StepDecisions.OnStepFinished(RunDriver.Facts(run), plan, step, message, Driver.Context());
    }
}
