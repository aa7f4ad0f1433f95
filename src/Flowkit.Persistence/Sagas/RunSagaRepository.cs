using System.Data;
using MassTransit;
using MassTransit.Middleware;
using MassTransit.Saga;
using Microsoft.EntityFrameworkCore;
using Flowkit.Sagas;

namespace Flowkit.Persistence.Sagas;

/// <summary>
/// Flowkit's saga repository for runs (MassTransit.EntityFrameworkCore is not available; see DESIGN.md). Scoped per
/// consumed message, it shares the message's <see cref="FlowkitDbContext"/>: the run row is loaded with
/// <c>SELECT ... FOR UPDATE</c> in a ReadCommitted transaction, so two messages for one run never interleave, and the
/// saga's changes, its step rows and timeline commit together. When a transaction is already open on the context
/// (an outer unit of work, e.g. an inbox), the repository joins it instead of opening its own.
/// </summary>
internal sealed class RunSagaRepository(FlowkitDbContext db, ISagaConsumeContextFactory<FlowkitDbContext, RunState> factory) :
    ISagaRepositoryContextFactory<RunState>,
    ILoadSagaRepositoryContextFactory<RunState>,
    IQuerySagaRepositoryContextFactory<RunState>
{
    public async Task Send<T>(ConsumeContext<T> context, IPipe<SagaRepositoryContext<RunState, T>> next)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        if (db.Database.CurrentTransaction is not null)
        {
            await next.Send(new RunSagaRepositoryContext<T>(db, context, factory));
            return;
        }

        await using var transaction = await db.Database.BeginTransactionAsync(IsolationLevel.ReadCommitted, context.CancellationToken);
        try
        {
            await next.Send(new RunSagaRepositoryContext<T>(db, context, factory));

            // Commit with None: once the transition ran, a cancelled consume must not abort the commit halfway.
            await transaction.CommitAsync(CancellationToken.None);
        }
        catch
        {
            // Roll back with None so the connection goes back to the pool clean, whatever cancelled the consume.
            await transaction.RollbackAsync(CancellationToken.None);
            throw;
        }
    }

    public Task SendQuery<T>(ConsumeContext<T> context, ISagaQuery<RunState> query, IPipe<SagaRepositoryQueryContext<RunState, T>> next)
        where T : class =>
        throw new NotSupportedException("Run saga events correlate by run id; query correlation is not supported.");

    public Task<T> Execute<T>(Func<LoadSagaRepositoryContext<RunState>, Task<T>> asyncMethod, CancellationToken cancellationToken = default)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(asyncMethod);
        return asyncMethod(new RunQueryContext(db, cancellationToken));
    }

    public Task<T> Execute<T>(Func<QuerySagaRepositoryContext<RunState>, Task<T>> asyncMethod, CancellationToken cancellationToken = default)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(asyncMethod);
        return asyncMethod(new RunQueryContext(db, cancellationToken));
    }

    public void Probe(ProbeContext context) => context?.Add("persistence", "flowkit-postgresql");

    private sealed class RunQueryContext(FlowkitDbContext db, CancellationToken cancellationToken) :
        BasePipeContext(cancellationToken),
        LoadSagaRepositoryContext<RunState>,
        QuerySagaRepositoryContext<RunState>
    {
        // MassTransit's contract is annotated non-null but expects null for a missing instance.
        public async Task<RunState> Load(Guid correlationId) =>
            (await db.Runs.AsNoTracking().SingleOrDefaultAsync(x => x.CorrelationId == correlationId, CancellationToken))!;

        public async Task<SagaRepositoryQueryContext<RunState>> Query(ISagaQuery<RunState> query, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(query);
            var ids = await db.Runs.AsNoTracking().Where(query.FilterExpression).Select(x => x.CorrelationId).ToListAsync(cancellationToken);
            return new DefaultSagaRepositoryQueryContext<RunState>(this, ids);
        }
    }
}
