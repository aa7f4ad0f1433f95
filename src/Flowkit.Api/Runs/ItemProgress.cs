using Flowkit.Sagas;

namespace Flowkit.Api.Runs;

/// <summary>A for-each step's progress over its items, from the step's counters (no item is read to show it).</summary>
/// <param name="Total">Items in its list.</param>
/// <param name="Dispatched">Items started so far (they start in index order).</param>
/// <param name="InFlight">Items started and not ended (running, retrying, or held by a pause).</param>
/// <param name="Succeeded">Items that succeeded.</param>
/// <param name="Failed">Items that failed after their last attempt.</param>
public sealed record ItemProgress(int Total, int Dispatched, int InFlight, int Succeeded, int Failed)
{
    internal static ItemProgress? Of(StepRow row) => row.ItemCount is { } total
        ? new ItemProgress(total, row.ItemsDispatched, row.ItemsDispatched - row.ItemsFinished, row.ItemsFinished - row.ItemsFailed, row.ItemsFailed)
        : null;
}
