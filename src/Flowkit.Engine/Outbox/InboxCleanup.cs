using Flowkit.Persistence;
using Flowkit.Persistence.Outbox;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Flowkit.Engine.Outbox;

/// <summary>
/// Deletes inbox rows older than the retention window, on a schedule, in batches of
/// <see cref="OutboxOptions.CleanupBatchSize"/>: each batch is its own short statement, so a large backlog never
/// becomes one long transaction that holds locks and bloats the table while the saga writes to it.
/// </summary>
internal sealed partial class InboxCleanup(IServiceScopeFactory scopes, IOptions<OutboxOptions> options, TimeProvider time, ILogger<InboxCleanup> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.CleanupInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                LogCleaned(logger, await CleanAsync(stoppingToken));
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogCleanupFailed(logger, ex);
            }
        }
    }

    /// <summary>Deletes every row past retention, a batch at a time; returns how many.</summary>
    internal async Task<int> CleanAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<FlowkitDbContext>();
        var before = time.GetUtcNow() - options.Value.InboxRetention;
        var batch = options.Value.CleanupBatchSize;
        var total = 0;
        int deleted;
        do
        {
            deleted = await db.Database.ExecuteSqlAsync($"""
                DELETE FROM inbox WHERE (message_id, consumer) IN (
                    SELECT message_id, consumer FROM inbox WHERE received_at < {before} LIMIT {batch} FOR UPDATE SKIP LOCKED)
                """, cancellationToken);
            total += deleted;
        }
        while (deleted == batch);

        return total;
    }

    [LoggerMessage(2111, LogLevel.Debug, "Inbox cleanup deleted {Count} rows")]
    private static partial void LogCleaned(ILogger logger, int count);

    [LoggerMessage(2112, LogLevel.Warning, "Inbox cleanup failed; it runs again at the next interval")]
    private static partial void LogCleanupFailed(ILogger logger, Exception exception);
}
