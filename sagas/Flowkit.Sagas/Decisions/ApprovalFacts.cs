namespace Flowkit.Sagas.Decisions;

/// <summary>
/// An approval request of a waiting step as resuming a paused run sees it: the decision a person recorded while the
/// run was paused (approved, rejected), an expiry the activity claimed (expired), or none yet (null).
/// </summary>
internal sealed record ApprovalFacts(string StepId, int Attempt, string? Decision, DateTimeOffset? ExpiresAt)
{
    public string? DecidedBy { get; init; }

    public string? Comment { get; init; }

    public DateTimeOffset? DecidedAt { get; init; }
}
