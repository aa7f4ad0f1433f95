using Flowkit.Sagas.Planning;

namespace Flowkit.Sagas;

/// <summary>
/// The run saga's access to step rows and the timeline, inside the transaction that holds the run's row lock.
/// Implemented by Flowkit.Persistence; rows returned or added are saved when the saga instance is saved.
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
}
