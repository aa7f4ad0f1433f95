namespace Flowkit.Sagas;

/// <summary>
/// A workflow's <c>concurrency.limit</c>: how many of its runs may run at once. Runs over the limit wait in line
/// (pending) and start in order as capacity frees: whenever a slot is free, the oldest run in line that may start
/// now gets it.
/// </summary>
public interface IConcurrencySlots
{
    /// <summary>Takes a slot for the run, or puts it in line and returns false.</summary>
    Task<bool> TryAcquireAsync(RunState run, int limit, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Frees the run's slot and gives free slots to the oldest runs in line that may start (sending them StartRun).</summary>
    Task ReleaseAsync(RunState run, int limit, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// Takes a run that ends while waiting out of line (passing on a slot it was handed but never used), and lets
    /// the next runs in line start if slots are free.
    /// </summary>
    Task LeaveAsync(RunState run, int limit, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// Recounts a workflow's counter from the runs holding or handed a slot, sets it, and gives free slots to the
    /// line (the watchdog's repair). Returns the counter before and after, and how many runs were handed a slot.
    /// </summary>
    Task<(int Before, int After, int Handed)> ReconcileAsync(Guid workflowId, int limit, DateTimeOffset now, CancellationToken cancellationToken);
}
