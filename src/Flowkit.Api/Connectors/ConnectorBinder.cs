using System.Text.Json;
using Flowkit.Definitions;
using Flowkit.Definitions.Connectors;
using Flowkit.Persistence;
using Flowkit.Sagas.Planning;
using Microsoft.EntityFrameworkCore;

namespace Flowkit.Api.Connectors;

/// <summary>
/// Binds a compiled definition's connector steps to the workspace's stored connectors when a workflow is created,
/// updated or validated (<see cref="ConnectorBinding"/>): the canonical definition that is stored carries, in each
/// connector step, the connector version it runs.
/// </summary>
internal static class ConnectorBinder
{
    public static async Task<Compilation> BindAsync(FlowkitDbContext db, string workspace, Compilation compilation, CancellationToken cancellationToken)
    {
        if (!compilation.IsValid || compilation.Plan!.Steps.All(s => s.Type != StepTypes.Connector))
        {
            return compilation;
        }

        var names = ConnectorBinding.Names(compilation.CanonicalJson!);
        var rows = await db.Connectors.AsNoTracking()
            .Where(c => c.Workspace == workspace && c.DeletedAt == null && names.Contains(c.Name))
            .Join(db.ConnectorVersions, c => c.Id, v => v.ConnectorId, (c, v) => new { c.Name, c.LatestVersion, v.Version, v.Document })
            .ToListAsync(cancellationToken);
        var known = await db.Connectors.AsNoTracking()
            .Where(c => c.Workspace == workspace && c.DeletedAt == null)
            .OrderBy(c => c.Name)
            .Select(c => c.Name)
            .Take(500)
            .ToListAsync(cancellationToken);
        var documents = new Dictionary<(string, int), JsonElement>();
        var latest = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var row in rows)
        {
            documents[(row.Name, row.Version)] = JsonSerializer.Deserialize<JsonElement>(row.Document);
            latest[row.Name] = row.LatestVersion;
        }

        StoredConnector? Find(string name, int? version)
        {
            if (!latest.TryGetValue(name, out var newest))
            {
                return null;
            }

            var wanted = version ?? newest;
            return documents.TryGetValue((name, wanted), out var document) ? new StoredConnector(name, wanted, document) : null;
        }

        var bound = ConnectorBinding.Bind(compilation.CanonicalJson!, Find, known);
        return bound.IsValid
            ? compilation with { CanonicalJson = bound.CanonicalJson }
            : new Compilation(null, null, null, bound.Errors);
    }
}
