using Flowkit.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Flowkit.Api.Ingress;

/// <summary>
/// Bounds the deduplication records (issue 19 finding 7, issue 10): every <see cref="IngressOptions.RunRequestPruneInterval"/>
/// each API process deletes the <c>run_requests</c> rows older than <see cref="IngressOptions.DedupeRetention"/>, in
/// batches of <see cref="IngressOptions.RunRequestPruneBatch"/> rows, each its own short statement. Rows are claimed
/// with <c>FOR UPDATE SKIP LOCKED</c>, so several API replicas prune side by side without waiting on each other.
/// The Redis keys of the fast path expire by themselves after the same window (their TTL).
/// </summary>
internal sealed class RunRequestPruner(
    IServiceScopeFactory scopes, IOptions<IngressOptions> options, TimeProvider time, ILogger<RunRequestPruner> logger) : BackgroundService
{
    /// <summary>Deletes every row older than the window, batch by batch; returns how many.</summary>
    public async Task<long> PruneAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var before = time.GetUtcNow() - settings.DedupeRetention;
        var batch = settings.RunRequestPruneBatch;
        long total = 0;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<FlowkitDbContext>();
        while (!cancellationToken.IsCancellationRequested)
        {
            var deleted = await db.Database.ExecuteSqlAsync($"""
                DELETE FROM run_requests r
                USING (SELECT workspace, scope, key FROM run_requests WHERE created_at < {before}
                       ORDER BY created_at LIMIT {batch} FOR UPDATE SKIP LOCKED) old
                WHERE r.workspace = old.workspace AND r.scope = old.scope AND r.key = old.key
                """, cancellationToken);
            total += deleted;
            if (deleted < batch)
            {
                break;
            }
        }

        if (total > 0)
        {
            Log.RunRequestsPruned(logger, total, settings.DedupeRetention);
        }

        return total;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.RunRequestPruneInterval, time);
        do
        {
            try
            {
                await PruneAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException && !stoppingToken.IsCancellationRequested)
            {
                Log.RunRequestPruneFailed(logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
