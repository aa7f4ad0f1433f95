using Flowkit.Sagas.Planning;

namespace Flowkit.Sagas;

/// <summary>
/// One item of a for-each step of one run (<c>run_step_items</c>, keyed by run, step and index): its value, its own
/// attempts and result. Written once per item when the step starts (one statement), then read and changed one row at
/// a time, so an item's transition costs the same at 10 items as at 10,000.
/// </summary>
public sealed class StepItemRow
{
    public Guid RunId { get; set; }

    public string StepId { get; set; } = "";

    /// <summary>The item's position in the list, from 0 (<c>index</c> in expressions).</summary>
    public int Index { get; set; }

    /// <summary>The item's value as JSON (<c>item</c> in expressions).</summary>
    public string Value { get; set; } = "null";

    /// <summary>Pending (not started, or held by a pause when <see cref="Attempt"/> is above 0), running, retrying, succeeded, failed or cancelled.</summary>
    public StepStatus Status { get; set; }

    /// <summary>The item's current (or last) attempt; 0 before its first dispatch.</summary>
    public int Attempt { get; set; }

    /// <summary>The item's output as JSON, once succeeded.</summary>
    public string? Output { get; set; }

    public string? Error { get; set; }

    /// <summary>The stable code of <see cref="Error"/> (<c>http_status</c>, <c>timeout</c>, ...), shown in the step's output slot.</summary>
    public string? ErrorCode { get; set; }

    public DateTimeOffset? StartedAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }

    public DateTimeOffset? AttemptDispatchedAt { get; set; }

    /// <summary>When the current attempt times out (the timeout sweeper reads it, as for steps).</summary>
    public DateTimeOffset? DeadlineAt { get; set; }

    /// <summary>How many times the current attempt was sent to workers (from 1), as <see cref="StepRow.AttemptDeliveries"/>.</summary>
    public int AttemptDeliveries { get; set; }
}
