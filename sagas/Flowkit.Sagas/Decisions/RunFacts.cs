namespace Flowkit.Sagas.Decisions;

/// <summary>
/// What a decision may know about the run: a read-only copy of the saga instance's data, taken by the driver before
/// each decision (so the decisions never see the MassTransit instance, and cannot change it).
/// </summary>
internal sealed record RunFacts(Guid RunId, string Workspace, string Workflow, int Version, string Input)
{
    public int RemainingSteps { get; init; }

    public int OpenApprovals { get; init; }

    public bool HoldsSlot { get; init; }

    public DateTimeOffset? StartedAt { get; init; }

    public RunOutcome? Outcome { get; init; }

    /// <summary>When the run was paused; null while it is not.</summary>
    public DateTimeOffset? PausedAt { get; init; }

    /// <summary>The run this one reruns, if it is a rerun.</summary>
    public Guid? RerunOf { get; init; }

    /// <summary>The step a rerun starts from (null: from the start).</summary>
    public string? RerunFrom { get; init; }
}
