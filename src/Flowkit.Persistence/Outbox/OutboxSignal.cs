using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Flowkit.Persistence.Outbox;

/// <summary>
/// Wakes this process's relay right after a commit that wrote outbox rows, instead of waiting for its next poll
/// (DESIGN.md: the hot path). Rows written by other processes are found by the poll.
/// </summary>
public sealed class OutboxSignal(TimeProvider time) : IDisposable
{
    private readonly SemaphoreSlim _wake = new(0, 1);
    private long _earliestDueTicks = long.MaxValue;

    /// <summary>Committed rows are due at <paramref name="due"/> (or earlier).</summary>
    public void Notify(DateTimeOffset due)
    {
        // Remember only future due times (timers); rows due now are found by the wake-up itself.
        var ticks = due > time.GetUtcNow() ? due.UtcTicks : long.MaxValue;
        long current;
        do
        {
            current = Interlocked.Read(ref _earliestDueTicks);
            if (ticks >= current)
            {
                break;
            }
        }
        while (Interlocked.CompareExchange(ref _earliestDueTicks, ticks, current) != current);

        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already signalled: the relay will wake once and see every row.
        }
    }

    public void Dispose() => _wake.Dispose();

    /// <summary>Waits until notified or until <paramref name="timeout"/>; returns the earliest future due time notified.</summary>
    internal async Task<DateTimeOffset?> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        await _wake.WaitAsync(timeout, cancellationToken);
        var ticks = Interlocked.Exchange(ref _earliestDueTicks, long.MaxValue);
        return ticks == long.MaxValue ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
    }
}

/// <summary>Notifies <see cref="OutboxSignal"/> when a transaction (or an implicit one) that wrote outbox rows commits.</summary>
internal sealed class OutboxCommitInterceptor(OutboxSignal signal) : DbTransactionInterceptor, ISaveChangesInterceptor
{
    public override Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(eventData);
        Flush(eventData.Context);
        return Task.CompletedTask;
    }

    public override void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData)
    {
        ArgumentNullException.ThrowIfNull(eventData);
        Flush(eventData.Context);
    }

    public override Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(eventData);
        (eventData.Context as FlowkitDbContext)?.TakeOutboxDue();
        return Task.CompletedTask;
    }

    public ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(eventData);
        if (eventData.Context?.Database.CurrentTransaction is null)
        {
            Flush(eventData.Context);
        }

        return ValueTask.FromResult(result);
    }

    public int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        ArgumentNullException.ThrowIfNull(eventData);
        if (eventData.Context?.Database.CurrentTransaction is null)
        {
            Flush(eventData.Context);
        }

        return result;
    }

    private void Flush(DbContext? context)
    {
        if (context is FlowkitDbContext flowkit && flowkit.TakeOutboxDue() is { } due)
        {
            signal.Notify(due);
        }
    }
}
