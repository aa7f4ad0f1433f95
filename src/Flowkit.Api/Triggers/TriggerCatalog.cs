using System.Collections.Concurrent;
using System.Text.Json;
using Flowkit.Api.Ingress;
using Flowkit.Definitions;
using Flowkit.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Flowkit.Api.Triggers;

/// <summary>
/// The triggers of stored workflow versions, compiled once per (workflow id, version): versions are immutable, so an
/// entry never goes stale, and a new version is simply a new entry (the old one is dropped with the rest when the
/// cache is full). Webhooks and cron read triggers only through here, always of a workflow's latest version.
/// </summary>
internal sealed class TriggerCatalog(DefinitionCompiler compiler, ILogger<TriggerCatalog> logger)
{
    private const int CacheLimit = 10_000;
    private readonly ConcurrentDictionary<(Guid WorkflowId, int Version), IReadOnlyList<TriggerDefinition>> _cache = new();

    public async ValueTask<IReadOnlyList<TriggerDefinition>> GetAsync(FlowkitDbContext db, Guid workflowId, int version, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        if (_cache.TryGetValue((workflowId, version), out var triggers))
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

        triggers = Compile(workflowId, version, definition);
        if (_cache.Count >= CacheLimit)
        {
            _cache.Clear();
        }

        _cache[(workflowId, version)] = triggers;
        return triggers;
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
