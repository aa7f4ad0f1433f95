using MassTransit;

namespace Flowkit.Sagas;

/// <summary>
/// The run saga instance: one row per run in <c>runs</c>, locked FOR UPDATE while a message for the run is
/// consumed. Step state lives in <see cref="StepRow"/>s, never in a growing document here.
/// </summary>
public sealed class RunState : SagaStateMachineInstance
{
    public Guid CorrelationId { get; set; }

    /// <summary>The state machine's state name (Pending, Running, Waiting, Paused, Succeeded, Failed, Cancelled).</summary>
    public string CurrentState { get; set; } = "Pending";

    public string Workspace { get; set; } = "";

    public Guid WorkflowId { get; set; }

    public string Workflow { get; set; } = "";

    public int Version { get; set; }

    public int Attempt { get; set; } = 1;

    /// <summary>The run's input as JSON.</summary>
    public string Input { get; set; } = "{}";

    /// <summary>Steps not yet succeeded, failed, skipped or cancelled; the run ends when it reaches zero.</summary>
    public int RemainingSteps { get; set; }

    public string? Error { get; set; }

    /// <summary>Approval steps waiting for a person; the run shows <c>waiting</c> while there is one.</summary>
    public int OpenApprovals { get; set; }

    /// <summary>True once the run holds one of its workflow's concurrency slots (released when it ends).</summary>
    public bool HoldsSlot { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? StartedAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }

    /// <summary>When the run was paused; null while it is not (docs/run-control.md). Nothing new is dispatched meanwhile.</summary>
    public DateTimeOffset? PausedAt { get; set; }

    /// <summary>The run this one reruns (<c>POST /api/v1/runs/{id}/rerun</c>); null for a run started by a trigger.</summary>
    public Guid? RerunOf { get; set; }

    /// <summary>The step a rerun starts from: it and everything downstream run again; null reruns every step.</summary>
    public string? RerunFrom { get; set; }

    /// <summary>Set by an activity during a transition; the machine turns it into the final state. Not stored.</summary>
    public RunOutcome? Outcome { get; set; }
}

public enum RunOutcome
{
    Succeeded,
    Failed,
    Cancelled,
}
