using Flowkit.Sagas.Planning;

namespace Flowkit.Sagas.Decisions;

/// <summary>One item of a for-each step as a decision sees it and returns it (the values of its <see cref="StepItemRow"/>).</summary>
internal sealed record ItemState(string StepId, int Index, StepStatus Status, int Attempt)
{
    public string Value { get; init; } = "null";

    public string? Output { get; init; }

    public string? Error { get; init; }

    public string? ErrorCode { get; init; }

    public DateTimeOffset? StartedAt { get; init; }

    public DateTimeOffset? FinishedAt { get; init; }

    public DateTimeOffset? AttemptDispatchedAt { get; init; }

    public DateTimeOffset? DeadlineAt { get; init; }

    public int AttemptDeliveries { get; init; }

    /// <summary>Its name in timer tokens and worker memory: <c>{stepId}[{index}]</c>.</summary>
    public string Key => Flowkit.Contracts.StepKeys.Of(StepId, Index);

    public static ItemState Of(StepItemRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        return new ItemState(row.StepId, row.Index, row.Status, row.Attempt)
        {
            Value = row.Value,
            Output = row.Output,
            Error = row.Error,
            ErrorCode = row.ErrorCode,
            StartedAt = row.StartedAt,
            FinishedAt = row.FinishedAt,
            AttemptDispatchedAt = row.AttemptDispatchedAt,
            DeadlineAt = row.DeadlineAt,
            AttemptDeliveries = row.AttemptDeliveries,
        };
    }

    /// <summary>Writes this state onto <paramref name="row"/> (its value never changes).</summary>
    public void CopyTo(StepItemRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        row.Status = Status;
        row.Attempt = Attempt;
        row.Output = Output;
        row.Error = Error;
        row.ErrorCode = ErrorCode;
        row.StartedAt = StartedAt;
        row.FinishedAt = FinishedAt;
        row.AttemptDispatchedAt = AttemptDispatchedAt;
        row.DeadlineAt = DeadlineAt;
        row.AttemptDeliveries = AttemptDeliveries;
    }
}
