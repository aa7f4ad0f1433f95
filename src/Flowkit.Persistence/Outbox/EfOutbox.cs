using System.Text.Json;
using Flowkit.Sagas;
using Microsoft.EntityFrameworkCore;

namespace Flowkit.Persistence.Outbox;

/// <summary>
/// <see cref="IOutbox"/> on the scoped <see cref="FlowkitDbContext"/>: rows are added to the context and saved with
/// everything else the transaction changes. Rows are built by <see cref="OutboxRows"/>, the one writer of outbox rows.
/// </summary>
internal sealed class EfOutbox(FlowkitDbContext db, TimeProvider time) : IOutbox
{
    /// <summary>The serialisation of outbox bodies (<see cref="OutboxRows.Json"/>).</summary>
    internal static JsonSerializerOptions Json => OutboxRows.Json;

    public void Send<T>(string queue, T message, Guid runId)
        where T : class => Add(message, OutboxRows.Queue(queue), runId, null, null);

    public void Publish<T>(T message, Guid runId)
        where T : class => Add(message, OutboxRows.Publish, runId, null, null);

    public void Schedule<T>(T message, DateTimeOffset due, Guid token, Guid runId)
        where T : class
    {
        // One timer per token: a reschedule in the same transaction replaces the pending row.
        foreach (var pending in db.ChangeTracker.Entries<OutboxMessageRow>().Where(e => e.Entity.Token == token && e.State == EntityState.Added).ToList())
        {
            pending.State = EntityState.Detached;
        }

        Add(message, OutboxRows.Queue(Flowkit.Contracts.EngineQueues.Runs), runId, due, token);
    }

    public async Task CancelAsync(Guid token, CancellationToken cancellationToken)
    {
        foreach (var pending in db.ChangeTracker.Entries<OutboxMessageRow>().Where(e => e.Entity.Token == token && e.State == EntityState.Added).ToList())
        {
            pending.State = EntityState.Detached;
        }

        await db.Outbox.Where(m => m.Token == token).ExecuteDeleteAsync(cancellationToken);
    }

    public async Task CancelAllAsync(Guid runId, CancellationToken cancellationToken)
    {
        foreach (var pending in db.ChangeTracker.Entries<OutboxMessageRow>().Where(e => e.Entity.RunId == runId && e.Entity.Token != null && e.State == EntityState.Added).ToList())
        {
            pending.State = EntityState.Detached;
        }

        await db.Outbox.Where(m => m.RunId == runId && m.Token != null).ExecuteDeleteAsync(cancellationToken);
    }

    public void Discard<T>(Guid runId)
        where T : class
    {
        var type = typeof(T).FullName;
        foreach (var pending in db.ChangeTracker.Entries<OutboxMessageRow>().Where(e => e.Entity.RunId == runId && e.Entity.MessageType == type && e.State == EntityState.Added).ToList())
        {
            pending.State = EntityState.Detached;
        }
    }

    private void Add<T>(T message, string destination, Guid runId, DateTimeOffset? due, Guid? token)
        where T : class
    {
        var now = time.GetUtcNow();
        db.Outbox.Add(OutboxRows.Create(message, destination, runId, now, due, token));
        db.NoteOutboxDue(due ?? now);
    }
}
