using System.Text.Json;
using Flowkit.Api.Ingress;
using Flowkit.Definitions;
using Flowkit.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Logging;

namespace Flowkit.Api.Triggers;

/// <summary>
/// The triggers of stored workflow versions, compiled once per (workflow id, version): versions are immutable, so an
/// entry never goes stale, and a new version is simply a new entry. The cache is a bounded <see cref="MemoryCache"/>
/// of at most <see cref="CacheLimit"/> versions, the least recently used dropped first. Webhooks and cron read
/// triggers only through here, always of a workflow's latest version.
/// </summary>
internal sealed class TriggerCatalog(DefinitionCompiler compiler, ILogger<TriggerCatalog> logger) : IDisposable
{
    internal const int CacheLimit = 10_000;
    private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = CacheLimit });

    public void Dispose() => _cache.Dispose();

    public async ValueTask<IReadOnlyList<TriggerDefinition>> GetAsync(FlowkitDbContext db, Guid workflowId, int version, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        if (_cache.TryGetValue((workflowId, version), out IReadOnlyList<TriggerDefinition>? triggers) && triggers is not null)
        {
            return triggers;
        }

        var definition = await db.WorkflowVersions.AsNoTracking()
            .Where(v => v.WorkflowId == workflowId && v.Version == version)
            .Select(v => v.Definition)
            .SingleOrDefaultAsync(cancellationToken);
        if (definition is null)
        {
            return [];
        }

        return _cache.Set((workflowId, version), Compile(workflowId, version, definition), new MemoryCacheEntryOptions { Size = 1 });
    }

    private IReadOnlyList<TriggerDefinition> Compile(Guid workflowId, int version, string definition)
    {
        using var document = JsonDocument.Parse(definition);
        var compilation = compiler.Compile(document.RootElement);
        if (compilation.Definition is null)
        {
            Log.DefinitionBroken(logger, workflowId, version);
            return [];
        }

        return compilation.Definition.Triggers;
    }
}
