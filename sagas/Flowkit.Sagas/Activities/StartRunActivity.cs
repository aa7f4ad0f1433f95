using Flowkit.Contracts;
using Flowkit.Sagas.Decisions;
using Flowkit.Sagas.Planning;

namespace Flowkit.Sagas.Activities;

/// <summary>StartRun: past the slot gate, the run starts (<see cref="RunDecisions.OnStartRun"/>).</summary>
internal sealed class StartRunActivity(RunDriver driver) : RunActivity<StartRun>(driver)
{
    protected override async Task<RunDecision> DecideAsync(RunState run, RunPlan plan, StartRun message, CancellationToken cancellationToken) =>
        run.StartedAt is null && await Driver.TakeSlotAsync(run, plan, cancellationToken)
            ? RunDecisions.OnStartRun(RunDriver.Facts(run), plan, Driver.Context())
            : RunDecision.None;
}
