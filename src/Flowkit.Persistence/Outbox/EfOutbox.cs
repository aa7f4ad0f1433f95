using System.Diagnostics;
using System.Text.Json;
using Flowkit.Sagas;
using Microsoft.EntityFrameworkCore;

namespace Flowkit.Persistence.Outbox;

/// <summary>
/// <see cref="IOutbox"/> on the scoped <see cref="FlowkitDbContext"/>: rows are added to the context and saved with
/// everything else the transaction changes. Bodies are serialised once, here.
/// </summary>
internal sealed class EfOutbox(FlowkitDbContext db, TimeProvider time) : IOutbox
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public void Send<T>(string queue, T message, Guid runId)
        where T : class => Add(message, $"queue:{queue}", runId, null, null);

    public void Publish<T>(T message, Guid runId)
        where T : class => Add(message, "publish", runId, null, null);

    public void Schedule<T>(T message, DateTimeOffset due, Guid token, Guid runId)
        where T : class
    {
        // One timer per token: a reschedule in the same transaction replaces the pending row.
        foreach (var pending in db.ChangeTracker.Entries<OutboxMessageRow>().Where(e => e.Entity.Token == token && e.State == EntityState.Added).ToList())
        {
            pending.State = EntityState.Detached;
        }

        Add(message, $"queue:{Flowkit.Contracts.EngineQueues.Runs}", runId, due, token);
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
        db.Outbox.Add(new OutboxMessageRow
        {
            MessageId = Guid.CreateVersion7(),
            RunId = runId == Guid.Empty ? null : runId,
            Destination = destination,
            MessageType = typeof(T).FullName!,
            Body = JsonSerializer.Serialize(message, Json),
            TraceParent = Activity.Current?.Id,
            DueAt = due ?? now,
            Token = token,
            CreatedAt = now,
        });
        db.NoteOutboxDue(due ?? now);
    }
}
