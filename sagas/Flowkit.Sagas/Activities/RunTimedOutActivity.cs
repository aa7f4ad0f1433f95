using Flowkit.Contracts;
using Flowkit.Sagas.Decisions;
using Flowkit.Sagas.Planning;

namespace Flowkit.Sagas.Activities;

/// <summary>RunTimedOut, the run's timer (<see cref="RunDecisions.OnRunTimedOut"/>).</summary>
internal sealed class RunTimedOutActivity(RunDriver driver) : RunActivity<RunTimedOut>(driver)
{
    protected override Task<RunDecision> DecideAsync(RunState run, RunPlan plan, RunTimedOut message, CancellationToken cancellationToken) =>
        Task.FromResult(RunDecisions.OnRunTimedOut(RunDriver.Facts(run), plan, Driver.Context()));
}
