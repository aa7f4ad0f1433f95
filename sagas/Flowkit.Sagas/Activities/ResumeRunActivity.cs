using Flowkit.Contracts;
using Flowkit.Sagas.Decisions;
using Flowkit.Sagas.Planning;

namespace Flowkit.Sagas.Activities;

/// <summary>
/// ResumeRun from the API: reads the steps the pause held and the waiting ones with their approval requests, claims
/// the expiry of approvals that expired while paused (a person may decide at the same moment, as in
/// <see cref="ApprovalExpiredActivity"/>), then decides (<see cref="RunDecisions.OnResumeRun"/>).
/// </summary>
internal sealed class ResumeRunActivity(RunDriver driver) : RunActivity<ResumeRun>(driver)
{
    protected override async Task<RunDecision> DecideAsync(RunState run, RunPlan plan, ResumeRun message, CancellationToken cancellationToken)
    {
        if (run.PausedAt is null)
        {
            return RunDecision.None; // not paused: nothing to read
        }

        var idle = await Driver.IdleStepsAsync(run, cancellationToken);
        var waitingApprovals = idle.Where(s => s.Status == StepStatus.Waiting && plan[s.StepId].Type == StepTypes.Approval).ToList();
        var approvals = new List<ApprovalFacts>(waitingApprovals.Count);
        if (waitingApprovals.Count > 0)
        {
            var now = Driver.Context().Now;
            foreach (var approval in await Driver.ApprovalsAsync(run, [.. waitingApprovals.Select(s => s.StepId)], cancellationToken))
            {
                var step = waitingApprovals.FirstOrDefault(s => s.StepId == approval.StepId && s.Attempt == approval.Attempt);
                var expired = step is not null && approval.Decision is null && approval.ExpiresAt <= now
                    && await Driver.ClaimExpiryAsync(run, step, cancellationToken);
                approvals.Add(expired ? approval with { Decision = "expired" } : approval);
            }
        }

        var forEach = await Driver.ForEachInFlightAsync(run, plan, cancellationToken);
        return RunDecisions.OnResumeRun(RunDriver.Facts(run), plan, message, idle, approvals, Driver.Context(), forEach);
    }
}
