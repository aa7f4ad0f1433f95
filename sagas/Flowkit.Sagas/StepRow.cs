using Flowkit.Sagas.Planning;

namespace Flowkit.Sagas;

/// <summary>One step of one run (<c>run_steps</c>): its status, counters, current attempt and result.</summary>
public sealed class StepRow
{
    public Guid RunId { get; set; }

    public string StepId { get; set; } = "";

    /// <summary>Position in the definition, for display order.</summary>
    public int Index { get; set; }

    public StepStatus Status { get; set; }

    /// <summary>The current (or last) attempt; 0 before the first dispatch.</summary>
    public int Attempt { get; set; }

    public int PendingNeeds { get; set; }

    public int SucceededNeeds { get; set; }

    /// <summary>The output as JSON, once succeeded.</summary>
    public string? Output { get; set; }

    public string? Error { get; set; }

    /// <summary>For a condition: the branch it took.</summary>
    public bool? ConditionResult { get; set; }

    public DateTimeOffset? StartedAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }

    /// <summary>When the current attempt was dispatched; its history row is written when it ends.</summary>
    public DateTimeOffset? AttemptDispatchedAt { get; set; }

    /// <summary>
    /// When the current attempt of a running worker step times out. A durable deadline in the step's own row:
    /// the timeout sweeper finds passed deadlines and tells the saga, so a dispatch costs no extra timer row.
    /// </summary>
    public DateTimeOffset? DeadlineAt { get; set; }

    /// <summary>
    /// How many times the current attempt has been sent to workers (from 1). An attempt no worker reported on by its
    /// deadline is sent again, same attempt number, with a longer delivery window (docs/reliability.md).
    /// </summary>
    public int AttemptDeliveries { get; set; }
    /// <summary>In a rerun: the run whose recorded result this step reused (it was not run again); null otherwise.</summary>
    public Guid? ReusedFrom { get; set; }

    /// <summary>
    /// For a for-each step once started: how many items its list has (their rows are <see cref="StepItemRow"/>s); null
    /// for an ordinary step. The counters below keep a transition's cost flat: no transition counts the item rows.
    /// </summary>
    public int? ItemCount { get; set; }

    /// <summary>For a for-each step: items dispatched so far (items are started in index order, so also the next index).</summary>
    public int ItemsDispatched { get; set; }

    /// <summary>For a for-each step: items that ended (succeeded, or failed after their last attempt).</summary>
    public int ItemsFinished { get; set; }

    /// <summary>For a for-each step: items that failed after their last attempt.</summary>
    public int ItemsFailed { get; set; }

    public StepCounters Counters => new(StepId, Status, PendingNeeds, SucceededNeeds);
}

/// <summary>One entry of a run's timeline (<c>run_events</c>), appended in the transition that caused it.</summary>
public sealed class RunEventRow
{
    public long Id { get; set; }

    public Guid RunId { get; set; }

    public string Workspace { get; set; } = "";

    public string Type { get; set; } = "";

    public string? StepId { get; set; }

    public int? Attempt { get; set; }

    public DateTimeOffset Timestamp { get; set; }

    /// <summary>Event-specific details as JSON (error, output size, decision, ...).</summary>
    public string? Data { get; set; }

    public string? TraceId { get; set; }
}

/// <summary>The lifecycle event names of CONTRACT.md section 3.</summary>
public static class RunEventTypes
{
    public const string RunCreated = nameof(RunCreated);
    public const string RunStarted = nameof(RunStarted);
    public const string StepReady = nameof(StepReady);
    public const string StepStarted = nameof(StepStarted);
    public const string StepSucceeded = nameof(StepSucceeded);
    public const string StepFailed = nameof(StepFailed);
    public const string StepRetryScheduled = nameof(StepRetryScheduled);
    public const string StepSkipped = nameof(StepSkipped);
    public const string ApprovalRequested = nameof(ApprovalRequested);
    public const string ApprovalDecided = nameof(ApprovalDecided);
    public const string RunSucceeded = nameof(RunSucceeded);
    public const string RunFailed = nameof(RunFailed);
    public const string RunCancelled = nameof(RunCancelled);

    /// <summary>The run was paused (data: requestedBy, reason): nothing new is dispatched until it is resumed.</summary>
    public const string RunPaused = nameof(RunPaused);

    /// <summary>The run was resumed (data: requestedBy, pausedAt, released: the steps dispatched or settled at once).</summary>
    public const string RunResumed = nameof(RunResumed);

    /// <summary>A rerun took this step's recorded result from the run it reruns instead of running it (data: rerunOf, status).</summary>
    public const string StepReused = nameof(StepReused);

    /// <summary>An item of a for-each step started (data: item, the index; attempt: the item's attempt).</summary>
    public const string ItemStarted = nameof(ItemStarted);

    /// <summary>An item of a for-each step succeeded (data: item).</summary>
    public const string ItemSucceeded = nameof(ItemSucceeded);

    /// <summary>An item of a for-each step failed after its last attempt (data: item, error, code).</summary>
    public const string ItemFailed = nameof(ItemFailed);

    /// <summary>An attempt of an item failed and the item will be tried again (data: item, error, nextAttempt, nextAttemptAt).</summary>
    public const string ItemRetryScheduled = nameof(ItemRetryScheduled);

    /// <summary>The engine's watchdog found the run stuck and re-sent the message that was lost (data: finding, resent).</summary>
    public const string RunRedriven = nameof(RunRedriven);
}
