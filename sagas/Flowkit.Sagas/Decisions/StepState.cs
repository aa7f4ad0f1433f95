using Flowkit.Sagas.Planning;

namespace Flowkit.Sagas.Decisions;

/// <summary>
/// One step of the run as a decision sees it and returns it: the values of its <see cref="StepRow"/>. A decision
/// that changes a step returns its new state (<see cref="RunEffect.SetStep"/>); the driver copies it onto the row.
/// </summary>
internal sealed record StepState(string StepId, int Index, StepStatus Status, int Attempt, int PendingNeeds, int SucceededNeeds)
{
    public string? Output { get; init; }

    public string? Error { get; init; }

    public bool? ConditionResult { get; init; }

    public DateTimeOffset? StartedAt { get; init; }

    public DateTimeOffset? FinishedAt { get; init; }

    public DateTimeOffset? AttemptDispatchedAt { get; init; }

    public DateTimeOffset? DeadlineAt { get; init; }

    public int AttemptDeliveries { get; init; }
    /// <summary>In a rerun: the run whose result this step reused.</summary>
    public Guid? ReusedFrom { get; init; }

    /// <summary>For a for-each step once started: the number of items (see <see cref="StepRow.ItemCount"/>).</summary>
    public int? ItemCount { get; init; }

    public int ItemsDispatched { get; init; }

    public int ItemsFinished { get; init; }

    public int ItemsFailed { get; init; }

    /// <summary>For a for-each step: items dispatched and not ended (running, retrying or held by a pause).</summary>
    public int ItemsInFlight => ItemsDispatched - ItemsFinished;

    public StepCounters Counters => new(StepId, Status, PendingNeeds, SucceededNeeds);

    public static StepState Of(StepRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        return new StepState(row.StepId, row.Index, row.Status, row.Attempt, row.PendingNeeds, row.SucceededNeeds)
        {
            Output = row.Output,
            Error = row.Error,
            ConditionResult = row.ConditionResult,
            StartedAt = row.StartedAt,
            FinishedAt = row.FinishedAt,
            AttemptDispatchedAt = row.AttemptDispatchedAt,
            DeadlineAt = row.DeadlineAt,
            AttemptDeliveries = row.AttemptDeliveries,
            ReusedFrom = row.ReusedFrom,
            ItemCount = row.ItemCount,
            ItemsDispatched = row.ItemsDispatched,
            ItemsFinished = row.ItemsFinished,
            ItemsFailed = row.ItemsFailed,
        };
    }

    /// <summary>Writes this state onto <paramref name="row"/> (EF saves only the columns whose value changed).</summary>
    public void CopyTo(StepRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        row.Status = Status;
        row.Attempt = Attempt;
        row.PendingNeeds = PendingNeeds;
        row.SucceededNeeds = SucceededNeeds;
        row.Output = Output;
        row.Error = Error;
        row.ConditionResult = ConditionResult;
        row.StartedAt = StartedAt;
        row.FinishedAt = FinishedAt;
        row.AttemptDispatchedAt = AttemptDispatchedAt;
        row.DeadlineAt = DeadlineAt;
        row.AttemptDeliveries = AttemptDeliveries;
        row.ReusedFrom = ReusedFrom;
        row.ItemCount = ItemCount;
        row.ItemsDispatched = ItemsDispatched;
        row.ItemsFinished = ItemsFinished;
        row.ItemsFailed = ItemsFailed;
    }
}
