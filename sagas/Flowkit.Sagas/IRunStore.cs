using Flowkit.Sagas.Planning;

namespace Flowkit.Sagas;

/// <summary>
/// The run saga's access to its rows, inside the transaction that holds the run's lock. Implemented by
/// Flowkit.Persistence; rows returned or added are saved when the saga instance is saved.
/// </summary>
public interface IRunStore
{
    /// <summary>The compiled plan of a workflow version (cached: versions are immutable).</summary>
    ValueTask<RunPlan> GetPlanAsync(Guid workflowId, int version, CancellationToken cancellationToken);

    /// <summary>The given steps of a run, tracked for update.</summary>
    Task<IReadOnlyDictionary<string, StepRow>> GetStepsAsync(Guid runId, IReadOnlyCollection<string> stepIds, CancellationToken cancellationToken);

    void AddSteps(IEnumerable<StepRow> steps);

    void AddEvent(RunEventRow runEvent);

    /// <summary>Marks every step of the run that has not ended as cancelled (the run ended without them).</summary>
    Task CancelOpenStepsAsync(Guid runId, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>Records an attempt that has ended.</summary>
    void AddAttempt(StepAttemptRow attempt);

    void AddApproval(ApprovalRow approval);

    /// <summary>
    /// Claims an open approval for expiry: true when no decision was recorded before (the expiry wins); false when a
    /// person decided first, whose decision message is then on its way.
    /// </summary>
    Task<bool> TryExpireApprovalAsync(Guid runId, string stepId, int attempt, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>
    /// The run's steps that are ready but were not dispatched (pending with no pending need: held by a pause) or are
    /// waiting (delays, approvals), tracked for update.
    /// </summary>
    Task<IReadOnlyList<StepRow>> GetIdleStepsAsync(Guid runId, CancellationToken cancellationToken);

    /// <summary>The approval requests (every attempt) of the given steps of a run; read only.</summary>
    Task<IReadOnlyList<ApprovalRow>> GetApprovalsAsync(Guid runId, IReadOnlyCollection<string> stepIds, CancellationToken cancellationToken);

    /// <summary>Every step of a run as recorded (another run's, for a rerun); read only.</summary>
    Task<IReadOnlyList<StepRow>> GetRecordedStepsAsync(Guid runId, CancellationToken cancellationToken);

    /// <summary>The sealed values of the named secrets of a workspace (missing names are left out).</summary>
    Task<IReadOnlyDictionary<string, string>> GetSealedSecretsAsync(string workspace, IReadOnlyCollection<string> names, CancellationToken cancellationToken);
}

/// <summary>What the engine evaluates itself: a delay's end and an approval's message.</summary>
public interface IEngineExpressions
{
    /// <summary>When a delay step's wait ends (its <c>for</c> from now, or its <c>until</c> evaluated).</summary>
    DateTimeOffset DelayUntil(PlanStep planStep, RunState run, IReadOnlyDictionary<string, System.Text.Json.JsonElement> outputs, DateTimeOffset now);

    /// <summary>The approval's message with its templates evaluated.</summary>
    string ApprovalMessage(PlanStep planStep, RunState run, IReadOnlyDictionary<string, System.Text.Json.JsonElement> outputs);
}
