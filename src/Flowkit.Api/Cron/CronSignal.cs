namespace Flowkit.Api.Cron;

/// <summary>
/// Tells this process's cron reconciler that workflow versions changed (create, update, archive), so schedules follow
/// at once instead of at the next interval. Other processes pick the change up at their interval.
/// </summary>
public sealed class CronSignal : IDisposable
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    public void Notify()
    {
        try
        {
            _signal.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already signalled: one reconciliation sees every change.
        }
    }

    public void Dispose() => _signal.Dispose();

    internal Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => _signal.WaitAsync(timeout, cancellationToken);
}
