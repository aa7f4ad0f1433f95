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

    /// <summary>
    /// Drops the <typeparamref name="T"/> messages of the run written earlier in this transaction (not yet committed),
    /// so a transition that ends the run does not send work it decided on before it ended.
    /// </summary>
    void Discard<T>(Guid runId)
        where T : class;
}
