using System.Collections.Concurrent;
using System.Text.Json;
using Flowkit.Api.Triggers;
using Flowkit.Definitions;
using Flowkit.Persistence;
using Flowkit.Persistence.Workflows;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Flowkit.Api.Ingress;

/// <summary>The workflow a webhook key starts, and the trigger as its latest version declares it.</summary>
internal sealed record HookTarget(WorkflowRow Workflow, int Version, WebhookTrigger Trigger);

/// <summary>
/// Finds the live workflow whose latest version declares a webhook key: an indexed query (the GIN index of migration
/// 20261123000402 over each version's triggers), its answer kept for <see cref="IngressOptions.HookCacheTtl"/>; the
/// trigger's settings come from <see cref="TriggerCatalog"/> (compiled once per version). The cache is a bounded
/// <see cref="MemoryCache"/>: at most <see cref="CacheLimit"/> hooks, the least recently used dropped first.
/// </summary>
internal sealed class HookDirectory(TriggerCatalog catalog, IOptions<IngressOptions> options, ILogger<HookDirectory> logger) : IDisposable
{
    internal const int CacheLimit = 10_000;
    private readonly ConcurrentDictionary<(string, string), bool> _warnedAmbiguous = new();
    private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = CacheLimit });

    public void Dispose() => _cache.Dispose();

    /// <summary>
    /// The hook's target; from a short-lived cache unless <paramref name="fresh"/>. A cached target may be outdated
    /// (archived, new version): ingress starts its run with <c>RequireLatest</c>, which the insert itself checks, and
    /// looks again with <paramref name="fresh"/> when told it is stale. Only found hooks are cached, so a new hook
    /// answers at once.
    /// </summary>
    public async Task<HookTarget?> FindAsync(FlowkitDbContext db, string workspace, string key, bool fresh, CancellationToken cancellationToken)
    {
        var cacheKey = (workspace, key);
        if (!fresh && _cache.TryGetValue(cacheKey, out HookTarget? cached) && cached is not null)
        {
            return cached;
        }

        var target = await QueryAsync(db, workspace, key, cancellationToken);
        var ttl = options.Value.HookCacheTtl;
        if (target is null || ttl <= TimeSpan.Zero)
        {
            _cache.Remove(cacheKey);
        }
        else
        {
            _cache.Set(cacheKey, target, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = ttl });
        }

        return target;
    }

    private async Task<HookTarget?> QueryAsync(FlowkitDbContext db, string workspace, string key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        var probe = JsonSerializer.Serialize(new[] { new { webhook = new { key } } });
        var rows = await db.Database.SqlQuery<HookRow>($"""
            SELECT w.id AS "Id", w.name AS "Name", w.latest_version AS "Version"
            FROM workflow_versions v
            JOIN workflows w ON w.id = v.workflow_id AND w.latest_version = v.version
            WHERE v.workspace = {workspace} AND w.archived_at IS NULL AND v.definition -> 'triggers' @> {probe}::jsonb
            ORDER BY w.created_at, w.id
            LIMIT 2
            """).ToListAsync(cancellationToken);
        if (rows.Count == 0)
        {
            return null;
        }

        var row = rows[0];
        if (rows.Count > 1 && _warnedAmbiguous.TryAdd((workspace, key), true))
        {
            // Keys are unique within one definition; across workflows nothing enforces it yet, so be deterministic.
            Log.HookKeyAmbiguous(logger, workspace, key, row.Name);
        }

        var triggers = await catalog.GetAsync(db, row.Id, row.Version, cancellationToken);
        var trigger = triggers.OfType<WebhookTrigger>().FirstOrDefault(t => string.Equals(t.Key, key, StringComparison.Ordinal));
        return trigger is null
            ? null
            : new HookTarget(new WorkflowRow { Id = row.Id, Workspace = workspace, Name = row.Name, LatestVersion = row.Version }, row.Version, trigger);
    }

    internal sealed class HookRow
    {
        public Guid Id { get; set; }

        public string Name { get; set; } = "";

        public int Version { get; set; }
    }
}
