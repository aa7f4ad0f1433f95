namespace Flowkit.Contracts;

/// <summary>The run saga's queue, where every message about a run goes.</summary>
public static class EngineQueues
{
    public const string Runs = "flowkit-runs";
}

/// <summary>Every message the run saga consumes names its run; the engine partitions by it.</summary>
public interface IRunMessage
{
    Guid RunId { get; }
}

/// <summary>Cancel a run: pending steps are cancelled, running steps are told to stop, nothing starts afterwards.</summary>
public sealed record CancelRun : IRunMessage
{
    public required Guid RunId { get; init; }

    /// <summary>Who asked (the API key's name or "system").</summary>
    public string? RequestedBy { get; init; }

    public string? Reason { get; init; }

    public int Attempt { get; init; } = 1;

    public required DateTimeOffset Timestamp { get; init; }
}

/// <summary>
/// Pause a run: nothing new is dispatched while it is paused; steps already running finish and their results are
/// kept; timers and approval decisions that fall due while it is paused act when it is resumed.
/// </summary>
public sealed record PauseRun : IRunMessage
{
    public required Guid RunId { get; init; }

    /// <summary>Who asked (the API key's name or "system").</summary>
    public string? RequestedBy { get; init; }

    public string? Reason { get; init; }

    public int Attempt { get; init; } = 1;

    public required DateTimeOffset Timestamp { get; init; }
}

/// <summary>Resume a paused run: what became ready, fell due or was decided while it was paused goes on.</summary>
public sealed record ResumeRun : IRunMessage
{
    public required Guid RunId { get; init; }

    /// <summary>Who asked (the API key's name or "system").</summary>
    public string? RequestedBy { get; init; }

    public int Attempt { get; init; } = 1;

    public required DateTimeOffset Timestamp { get; init; }
}

/// <summary>A human decision on an approval step, already claimed by the API (one decision per attempt).</summary>
public sealed record DecideApproval : IRunMessage
{
    public required Guid RunId { get; init; }

    public required string StepId { get; init; }

    public required int Attempt { get; init; }

    public required bool Approved { get; init; }

    public string? DecidedBy { get; init; }

    public string? Comment { get; init; }

    public required DateTimeOffset Timestamp { get; init; }
}

/// <summary>Durable timer: the attempt's timeout passed. Ignored unless that attempt is still the current one.</summary>
public sealed record StepTimedOut : IRunMessage
{
    public required Guid RunId { get; init; }

    public required string StepId { get; init; }

    public required int Attempt { get; init; }

    /// <summary>For an item of a for-each step: its index; null for an ordinary step.</summary>
    public int? Item { get; init; }

    public required DateTimeOffset Timestamp { get; init; }
}

/// <summary>Durable timer: a step's retry backoff passed; dispatch attempt <see cref="Attempt"/>.</summary>
public sealed record StepRetryDue : IRunMessage
{
    public required Guid RunId { get; init; }

    public required string StepId { get; init; }

    /// <summary>The attempt to start.</summary>
    public required int Attempt { get; init; }

    /// <summary>For an item of a for-each step: its index; null for an ordinary step.</summary>
    public int? Item { get; init; }

    public required DateTimeOffset Timestamp { get; init; }
}

/// <summary>Durable timer: a delay step's wait is over.</summary>
public sealed record DelayElapsed : IRunMessage
{
    public required Guid RunId { get; init; }

    public required string StepId { get; init; }

    public required int Attempt { get; init; }

    public required DateTimeOffset Timestamp { get; init; }
}

/// <summary>Durable timer: nobody decided an approval in time; the step fails as rejected.</summary>
public sealed record ApprovalExpired : IRunMessage
{
    public required Guid RunId { get; init; }

    public required string StepId { get; init; }

    public required int Attempt { get; init; }

    public required DateTimeOffset Timestamp { get; init; }
}

/// <summary>Durable timer: the run-level timeout passed; the run fails.</summary>
public sealed record RunTimedOut : IRunMessage
{
    public required Guid RunId { get; init; }

    public int Attempt { get; init; } = 1;

    public required DateTimeOffset Timestamp { get; init; }
}

/// <summary>
/// Published (fan-out to every worker) when a run ends early: a worker running one of its steps stops it.
/// </summary>
public sealed record StepExecutionCancelled : IRunMessage
{
    public required Guid RunId { get; init; }

    /// <summary>One step, or null for every step of the run.</summary>
    public string? StepId { get; init; }

    public int Attempt { get; init; }

    /// <summary>For an item of a for-each step: its index (with <see cref="StepId"/> and <see cref="Attempt"/>); null otherwise.</summary>
    public int? Item { get; init; }

    public required DateTimeOffset Timestamp { get; init; }
}
