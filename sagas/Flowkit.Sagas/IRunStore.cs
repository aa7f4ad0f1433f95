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

    /// <summary>
    /// Creates the item rows of a for-each step, one per element of <paramref name="list"/> (a JSON array), pending, in
    /// one statement. Runs at once in the transition's transaction, so the rows can be read right after.
    /// </summary>
    Task AddItemsAsync(Guid runId, string stepId, System.Text.Json.JsonElement list, CancellationToken cancellationToken);

    /// <summary>One item row of a for-each step, tracked for update; null when there is none.</summary>
    Task<StepItemRow?> GetItemAsync(Guid runId, string stepId, int index, CancellationToken cancellationToken);

    /// <summary>The items of a for-each step a pause held (pending after an attempt), tracked for update; at most its concurrency.</summary>
    Task<IReadOnlyList<StepItemRow>> GetHeldItemsAsync(Guid runId, string stepId, CancellationToken cancellationToken);

    /// <summary>
    /// The output of a for-each step whose items have all ended: a JSON array of the items' outputs in index order (a
    /// failed item's slot holds <c>{"error": {"message", "code"}}</c>). Read once, when the last item ends; the
    /// changes of this transition are written first so the last item is in it.
    /// </summary>
    Task<string> GetItemOutputsAsync(Guid runId, string stepId, CancellationToken cancellationToken);

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

    /// <summary>What a for-each step's <c>forEach</c> template gives (a list, or whatever else it gives: the decision judges it).</summary>
    System.Text.Json.JsonElement ForEachItems(PlanStep planStep, RunState run, IReadOnlyDictionary<string, System.Text.Json.JsonElement> outputs);
}
