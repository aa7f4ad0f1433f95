using MassTransit;
using MassTransit.Context;
using MassTransit.Saga;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Flowkit.Sagas;

namespace Flowkit.Persistence.Sagas;

/// <summary>The per-message view of the run saga's rows, inside the transaction opened by <see cref="RunSagaRepository"/>.</summary>
internal sealed class RunSagaRepositoryContext<TMessage> :
    ConsumeContextScope<TMessage>,
    SagaRepositoryContext<RunState, TMessage>
    where TMessage : class
{
    private readonly FlowkitDbContext db;
    private readonly ConsumeContext<TMessage> consumeContext;
    private readonly ISagaConsumeContextFactory<FlowkitDbContext, RunState> factory;

    public RunSagaRepositoryContext(FlowkitDbContext db, ConsumeContext<TMessage> consumeContext, ISagaConsumeContextFactory<FlowkitDbContext, RunState> factory)
        : base(consumeContext, db)
    {
        this.db = db;
        this.consumeContext = consumeContext;
        this.factory = factory;
    }

    public Task<SagaConsumeContext<RunState, TMessage>> Add(RunState instance) =>
        factory.CreateSagaConsumeContext(db, consumeContext, instance, SagaConsumeContextMode.Add);

    public async Task<SagaConsumeContext<RunState, TMessage>?> Insert(RunState instance)
    {
        // A failed INSERT aborts a PostgreSQL transaction; the savepoint keeps the rest of it usable.
        var transaction = db.Database.CurrentTransaction!;
        await transaction.CreateSavepointAsync("saga_insert", CancellationToken);
        var entry = db.Runs.Add(instance);
        try
        {
            await db.SaveChangesAsync(CancellationToken);
            return await factory.CreateSagaConsumeContext(db, consumeContext, instance, SagaConsumeContextMode.Insert);
        }
        catch (DbUpdateException ex) when (ex.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            entry.State = EntityState.Detached;
            await transaction.RollbackToSavepointAsync("saga_insert", CancellationToken.None);
            return null;
        }
    }

    public async Task<SagaConsumeContext<RunState, TMessage>?> Load(Guid correlationId)
    {
        var instance = await db.Runs
            .FromSql($"SELECT * FROM runs WHERE id = {correlationId} FOR UPDATE")
            .SingleOrDefaultAsync(CancellationToken);
        return instance is null
            ? null
            : await factory.CreateSagaConsumeContext(db, consumeContext, instance, SagaConsumeContextMode.Load);
    }

    public async Task Save(SagaConsumeContext<RunState> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        db.Runs.Add(context.Saga);
        await db.SaveChangesAsync(CancellationToken);
    }

    public Task Update(SagaConsumeContext<RunState> context) => db.SaveChangesAsync(CancellationToken);

    public async Task Delete(SagaConsumeContext<RunState> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        db.Runs.Remove(context.Saga);
        await db.SaveChangesAsync(CancellationToken);
    }

    public Task Discard(SagaConsumeContext<RunState> context) => Task.CompletedTask;

    public Task Undo(SagaConsumeContext<RunState> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var entry = db.ChangeTracker.Entries<RunState>().FirstOrDefault(x => x.Entity.CorrelationId == context.Saga.CorrelationId);
        if (entry is not null)
        {
            entry.State = EntityState.Unchanged;
        }

        return Task.CompletedTask;
    }

    public Task<SagaConsumeContext<RunState, T>> CreateSagaConsumeContext<T>(ConsumeContext<T> consumeContext, RunState instance, SagaConsumeContextMode mode)
        where T : class =>
        factory.CreateSagaConsumeContext(db, consumeContext, instance, mode);
}
