using Flowkit.Contracts;
using Flowkit.Sagas.Decisions;
using Flowkit.Sagas.Planning;

namespace Flowkit.Sagas.Activities;

/// <summary>StepTimedOut from the timeout sweeper (<see cref="StepDecisions.OnStepTimedOut"/>).</summary>
internal sealed class StepTimedOutActivity(RunDriver driver) : RunActivity<StepTimedOut>(driver)
{
    protected override async Task<RunDecision> DecideAsync(RunState run, RunPlan plan, StepTimedOut message, CancellationToken cancellationToken)
    {
        if (message.Item is { } index)
        {
            var (parent, item) = await Driver.ItemAsync(run, plan, message.StepId, index, cancellationToken);
            return ItemDecisions.OnItemTimedOut(RunDriver.Facts(run), plan, parent, item, message, Driver.Context());
        }

        var step = await Driver.StepAsync(run, plan, message.StepId, cancellationToken);
        return StepDecisions.OnStepTimedOut(RunDriver.Facts(run), plan, step, message, Driver.Context());
    }
}
