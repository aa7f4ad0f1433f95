namespace Flowkit.Contracts;

/// <summary>
/// A lifecycle event of a run (CONTRACT.md section 3), published on RabbitMQ inside <see cref="RunTimelineAppended"/>:
/// RunCreated, RunStarted, StepReady, StepStarted, StepSucceeded, StepFailed, StepRetryScheduled, StepSkipped,
/// StepReused, ApprovalRequested, ApprovalDecided, RunPaused, RunResumed, RunSucceeded, RunFailed, RunCancelled.
/// </summary>
public sealed record RunLifecycleEvent : IRunMessage
{
    /// <summary>The event's name, e.g. <c>StepSucceeded</c>.</summary>
    public required string Type { get; init; }

    public required Guid RunId { get; init; }

    public required string Workspace { get; init; }

    public required string Workflow { get; init; }

    public required int Version { get; init; }

    public string? StepId { get; init; }

    public int? Attempt { get; init; }

    public required DateTimeOffset Timestamp { get; init; }

    public string? TraceId { get; init; }

    /// <summary>Event details as JSON (error, next attempt time, decision...), or null.</summary>
    public string? Data { get; init; }
}

/// <summary>
/// The lifecycle events one transition of a run added to its timeline, in order, published as one message so that
/// a step costs one publish however many events it makes. Subscribers (dashboards, the integration hub) read
/// <see cref="Events"/>.
/// </summary>
public sealed record RunTimelineAppended : IRunMessage
{
    public required Guid RunId { get; init; }

    public required string Workspace { get; init; }

    public required string Workflow { get; init; }

    public required int Version { get; init; }

    public required IReadOnlyList<RunLifecycleEvent> Events { get; init; }

    public required DateTimeOffset Timestamp { get; init; }
}
