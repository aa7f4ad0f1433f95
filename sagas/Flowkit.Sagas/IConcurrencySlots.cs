namespace Flowkit.Sagas;

/// <summary>
/// A workflow's <c>concurrency.limit</c>: how many of its runs may run at once. Runs over the limit wait in line
/// (pending) and start in order as capacity frees: a finishing run hands its slot to the oldest waiting run.
/// </summary>
public interface IConcurrencySlots
{
    /// <summary>Takes a slot for the run, or puts it in line and returns false.</summary>
    Task<bool> TryAcquireAsync(RunState run, int limit, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Gives the run's slot to the oldest waiting run (sending it StartRun), or frees it.</summary>
    Task ReleaseAsync(RunState run, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Takes a run that ends while waiting out of line (passing on a slot it was handed but never used).</summary>
    Task LeaveAsync(RunState run, DateTimeOffset now, CancellationToken cancellationToken);
}
