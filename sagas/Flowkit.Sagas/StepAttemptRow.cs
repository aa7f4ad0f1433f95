namespace Flowkit.Sagas;

/// <summary>One attempt of one step (<c>run_step_attempts</c>): number, start, end, error.</summary>
public sealed class StepAttemptRow
{
    public Guid RunId { get; set; }

    public string StepId { get; set; } = "";

    public int Attempt { get; set; }

    /// <summary>running, waiting, succeeded, failed, timed_out, cancelled.</summary>
    public string Status { get; set; } = "";

    /// <summary>When the engine dispatched it.</summary>
    public DateTimeOffset DispatchedAt { get; set; }

    /// <summary>When the worker started it (reported with its result).</summary>
    public DateTimeOffset? StartedAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }

    public string? Error { get; set; }
}

/// <summary>An approval request (<c>approvals</c>): one per attempt of an approval step; decided at most once.</summary>
public sealed class ApprovalRow
{
    public Guid RunId { get; set; }

    public string StepId { get; set; } = "";

    public int Attempt { get; set; }

    public string Workspace { get; set; } = "";

    public string Message { get; set; } = "";

    public DateTimeOffset RequestedAt { get; set; }

    public DateTimeOffset? ExpiresAt { get; set; }

    /// <summary>null while open; then approved, rejected or expired.</summary>
    public string? Decision { get; set; }

    public string? DecidedBy { get; set; }

    public string? Comment { get; set; }

    public DateTimeOffset? DecidedAt { get; set; }
}
