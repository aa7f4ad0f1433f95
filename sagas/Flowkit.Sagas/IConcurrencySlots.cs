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
}
