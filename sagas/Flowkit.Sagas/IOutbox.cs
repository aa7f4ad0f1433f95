namespace Flowkit.Sagas;

/// <summary>
/// Messages leave a transition only through the outbox: rows written in the transaction that holds the run's
/// lock, delivered after commit by the relay (with publisher confirms), so a transition and the messages it causes
/// commit together or not at all (DESIGN.md rule 2). A scheduled message is a row with a due time: durable time.
/// </summary>
public interface IOutbox
{
    /// <summary>Sends <paramref name="message"/> to a queue once the transaction commits.</summary>
    void Send<T>(string queue, T message, Guid runId)
        where T : class;

    /// <summary>Publishes <paramref name="message"/> to its subscribers once the transaction commits.</summary>
    void Publish<T>(T message, Guid runId)
        where T : class;

    /// <summary>
    /// Sends <paramref name="message"/> to the run saga at <paramref name="due"/>. <paramref name="token"/> names the
    /// timer so that it can be cancelled; scheduling the same token twice keeps one timer.
    /// </summary>
    void Schedule<T>(T message, DateTimeOffset due, Guid token, Guid runId)
        where T : class;

    /// <summary>Cancels a scheduled message that has not been delivered yet (deleting its row in this transaction).</summary>
    Task CancelAsync(Guid token, CancellationToken cancellationToken);

    /// <summary>Cancels every timer of a run that has not fired yet.</summary>
    Task CancelAllAsync(Guid runId, CancellationToken cancellationToken);
}

/// <summary>Deterministic timer tokens: the same (kind, run, step, attempt) always names the same timer.</summary>
public static class TimerTokens
{
    public static Guid For(string kind, Guid runId, string? stepId = null, int attempt = 0)
    {
        Span<byte> hash = stackalloc byte[32];
        System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{kind}|{runId:N}|{stepId}|{attempt}"), hash);
        return new Guid(hash[..16]);
    }
}
