namespace Flowkit.Api.Runs.Stream;

/// <summary>
/// One open stream's wake-up: set when the run's timeline may have new events (a notification for the run, or the
/// listener reconnected and cannot know what it missed). Disposing it frees the stream's place.
/// </summary>
internal sealed class RunEventWaiter(Guid runId, Action<RunEventWaiter> release) : IDisposable
{
    private readonly SemaphoreSlim _wake = new(0, 1);
    private int _disposed;

    public Guid RunId => runId;

    public void Wake()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already woken: the stream reads every new event when it wakes.
        }
        catch (ObjectDisposedException)
        {
            // The stream has ended in the meantime.
        }
    }

    /// <summary>True when woken, false after <paramref name="timeout"/> without a wake-up.</summary>
    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => _wake.WaitAsync(timeout, cancellationToken);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            release(this);
            _wake.Dispose();
        }
    }
}
