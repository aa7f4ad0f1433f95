using Flowkit.Contracts;
using Flowkit.Sagas.Decisions;
using Flowkit.Sagas.Planning;

namespace Flowkit.Sagas.Activities;

/// <summary>StepRetryDue, the backoff timer (<see cref="StepDecisions.OnRetryDue"/>).</summary>
internal sealed class StepRetryDueActivity(RunDriver driver) : RunActivity<StepRetryDue>(driver)
{
    protected override async Task<RunDecision> DecideAsync(RunState run, RunPlan plan, StepRetryDue message, CancellationToken cancellationToken)
    {
        if (message.Item is { } index)
        {
            var (parent, item) = await Driver.ItemAsync(run, plan, message.StepId, index, cancellationToken);
            return ItemDecisions.OnItemRetryDue(parent, item, message);
        }

        return StepDecisions.OnRetryDue(await Driver.StepAsync(run, plan, message.StepId, cancellationToken), message);
    }
}
