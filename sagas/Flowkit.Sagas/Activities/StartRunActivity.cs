using Flowkit.Contracts;
using Flowkit.Sagas.Decisions;
using Flowkit.Sagas.Planning;

namespace Flowkit.Sagas.Activities;

/// <summary>
/// StartRun: past the slot gate, the run starts (<see cref="RunDecisions.OnStartRun"/>). A rerun from a step first
/// reads the steps of the run it reruns, whose results it may reuse.
/// </summary>
internal sealed class StartRunActivity(RunDriver driver) : RunActivity<StartRun>(driver)
{
    protected override async Task<RunDecision> DecideAsync(RunState run, RunPlan plan, StartRun message, CancellationToken cancellationToken)
    {
        if (run.StartedAt is not null || !await Driver.TakeSlotAsync(run, plan, cancellationToken))
        {
            return RunDecision.None;
        }

        var recorded = run is { RerunOf: { } rerunOf, RerunFrom: not null } ? await Driver.RecordedStepsAsync(rerunOf, cancellationToken) : null;
        return RunDecisions.OnStartRun(RunDriver.Facts(run), plan, Driver.Context(), recorded);
    }
}
