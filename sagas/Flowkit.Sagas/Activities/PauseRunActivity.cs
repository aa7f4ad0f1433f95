using Flowkit.Contracts;
using Flowkit.Sagas.Decisions;
using Flowkit.Sagas.Planning;

namespace Flowkit.Sagas.Activities;

/// <summary>PauseRun from the API (<see cref="RunDecisions.OnPauseRun"/>).</summary>
internal sealed class PauseRunActivity(RunDriver driver) : RunActivity<PauseRun>(driver)
{
    protected override Task<RunDecision> DecideAsync(RunState run, RunPlan plan, PauseRun message, CancellationToken cancellationToken) =>
        Task.FromResult(RunDecisions.OnPauseRun(RunDriver.Facts(run), message, Driver.Context()));
}
