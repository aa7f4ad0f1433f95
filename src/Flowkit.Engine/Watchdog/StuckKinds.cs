namespace Flowkit.Engine.Watchdog;

/// <summary>What the watchdog finds (the <c>finding</c> of a <c>RunRedriven</c> timeline entry and the metric tag).</summary>
internal static class StuckKinds
{
    /// <summary>Pending, not waiting in line, and no StartRun on its way: it is re-sent.</summary>
    public const string PendingWithoutStart = "pending-without-start";

    /// <summary>A step retrying with no StepRetryDue on its way: the retry is sent now.</summary>
    public const string RetryTimerLost = "retry-timer-lost";

    /// <summary>A delay waiting with no DelayElapsed on its way: it is sent now.</summary>
    public const string DelayTimerLost = "delay-timer-lost";

    /// <summary>A running step past its deadline with no StepTimedOut on its way: it is sent.</summary>
    public const string DeadlinePassed = "deadline-passed";

    /// <summary>An approval decided by the API whose DecideApproval never reached the run: it is re-sent.</summary>
    public const string ApprovalDecisionLost = "approval-decision-lost";

    /// <summary>An open approval past its expiry with no ApprovalExpired on its way: it is sent.</summary>
    public const string ApprovalExpiryLost = "approval-expiry-lost";

    /// <summary>A slot counter that disagrees with the runs holding slots, or runs waiting in line: recounted and refilled.</summary>
    public const string Slots = "slots";
}
