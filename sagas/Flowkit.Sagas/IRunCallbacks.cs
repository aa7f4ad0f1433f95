namespace Flowkit.Sagas;

/// <summary>
/// Callback steps' one-time URLs and their rows (<c>run_callbacks</c>), inside the transaction that holds the run's
/// lock. Implemented by Flowkit.Persistence; the API claims a call on the same rows.
/// </summary>
public interface IRunCallbacks
{
    /// <summary>The URL of callback step <paramref name="stepId"/> of run <paramref name="runId"/> (the same every time).</summary>
    string UrlFor(Guid runId, string stepId);

    /// <summary>Creates the callbacks of a run that starts, one per callback step, each found by its token's hash.</summary>
    void Open(RunState run, IReadOnlyCollection<string> stepIds, DateTimeOffset at);

    /// <summary>The JSON body posted to the step's URL, or null when no call has arrived.</summary>
    Task<string?> ReceivedBodyAsync(Guid runId, string stepId, CancellationToken cancellationToken);

    /// <summary>Claims the callback for expiry: true when no call arrived first (the expiry wins); false when one did.</summary>
    Task<bool> TryExpireAsync(Guid runId, string stepId, DateTimeOffset at, CancellationToken cancellationToken);
}
