using System.Data;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Flowkit.Persistence.Outbox;

/// <summary>
/// The consumer inbox, as a scoped consume filter in front of the run saga: it opens the message's transaction,
/// records the MessageId (a unique row per consumer), runs the saga inside the same transaction (the saga
/// repository joins it) and commits. A redelivered message finds its row and is acked without effect; a duplicate
/// arriving while the first is still in flight waits on the row and then sees it.
/// </summary>
public sealed partial class InboxFilter<T>(FlowkitDbContext db, TimeProvider time, ILogger<InboxFilter<T>> logger) : IFilter<ConsumeContext<T>>
    where T : class
{
    public async Task Send(ConsumeContext<T> context, IPipe<ConsumeContext<T>> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var messageId = context.MessageId ?? throw new InvalidOperationException($"A {typeof(T).Name} without a MessageId cannot be deduplicated.");
        var consumer = context.ReceiveContext.InputAddress.AbsolutePath.Trim('/');

        await using var transaction = await db.Database.BeginTransactionAsync(IsolationLevel.ReadCommitted, context.CancellationToken);
        try
        {
            var recorded = await db.Database.ExecuteSqlAsync(
                $"INSERT INTO inbox (message_id, consumer, received_at) VALUES ({messageId}, {consumer}, {time.GetUtcNow()}) ON CONFLICT DO NOTHING",
                context.CancellationToken);
            if (recorded == 0)
            {
                LogDuplicate(logger, typeof(T).Name, messageId);
                await transaction.RollbackAsync(CancellationToken.None);
                return;
            }

            await next.Send(context);

            // Commit with None: the transition ran; a cancelled consume must not abort the commit halfway.
            await transaction.CommitAsync(CancellationToken.None);
        }
        catch
        {
            await transaction.RollbackAsync(CancellationToken.None);
            throw;
        }
    }

    public void Probe(ProbeContext context) => context?.CreateFilterScope("flowkit-inbox");

    [LoggerMessage(2201, LogLevel.Information, "{MessageType} {MessageId} was already consumed; acknowledged without effect")]
    private static partial void LogDuplicate(ILogger logger, string messageType, Guid messageId);
}
