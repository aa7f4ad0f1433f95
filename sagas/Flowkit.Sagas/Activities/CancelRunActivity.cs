using Flowkit.Contracts;
using Flowkit.Sagas.Decisions;
using Flowkit.Sagas.Planning;

namespace Flowkit.Sagas.Activities;

/// <summary>CancelRun from the API (<see cref="RunDecisions.OnCancelRun"/>).</summary>
internal sealed class CancelRunActivity(RunDriver driver) : RunActivity<CancelRun>(driver)
{
    protected override Task<RunDecision> DecideAsync(RunState run, RunPlan plan, CancelRun message, CancellationToken cancellationToken) =>
        Task.FromResult(RunDecisions.OnCancelRun(RunDriver.Facts(run), plan, message, Driver.Context()));
}
