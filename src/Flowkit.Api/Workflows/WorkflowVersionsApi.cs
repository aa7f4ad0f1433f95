using System.Globalization;
using System.Text.Json;
using Flowkit.Persistence;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Flowkit.Api.Workflows;

/// <summary>A workflow's versions: the list, and one version's definition with the source text it came from.</summary>
internal static class WorkflowVersionsApi
{
    internal static async Task<Results<Ok<Page<WorkflowVersionSummary>>, ProblemHttpResult>> ListAsync(
        string name, int? limit, string? cursor, HttpContext context, FlowkitDbContext db, CancellationToken cancellationToken)
    {
        if (Page.CheckLimit(limit, out var size) is { } invalid)
        {
            return invalid;
        }

        var before = int.MaxValue;
        if (cursor is not null && !(Page.TryReadKeyCursor(cursor, out var key) && int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out before)))
        {
            return Page.BadCursor();
        }

        var workspace = Workspaces.Of(context);
        var workflowId = await db.Workflows.Where(w => w.Workspace == workspace && w.Name == name).Select(w => (Guid?)w.Id).SingleOrDefaultAsync(cancellationToken);
        if (workflowId is null)
        {
            return Problems.Problems.NotFound($"There is no workflow named '{name}'.");
        }

        var rows = await db.WorkflowVersions.AsNoTracking()
            .Where(v => v.WorkflowId == workflowId && v.Version < before)
            .OrderByDescending(v => v.Version)
            .Take(size + 1)
            .Select(v => new WorkflowVersionSummary(v.Version, v.SourceFormat, v.CreatedAt, v.CreatedBy))
            .ToListAsync(cancellationToken);
        var next = rows.Count > size ? Page.WriteKeyCursor(rows[size - 1].Version.ToString(CultureInfo.InvariantCulture)) : null;
        return TypedResults.Ok(new Page<WorkflowVersionSummary>(rows.Take(size).ToArray(), next));
    }

    internal static async Task<Results<Ok<WorkflowVersionResponse>, ProblemHttpResult>> GetAsync(
        string name, int version, HttpContext context, FlowkitDbContext db, CancellationToken cancellationToken)
    {
        var workspace = Workspaces.Of(context);
        var workflow = await db.Workflows.AsNoTracking().Where(w => w.Workspace == workspace && w.Name == name)
            .Select(w => new { w.Id, w.LatestVersion }).SingleOrDefaultAsync(cancellationToken);
        if (workflow is null)
        {
            return Problems.Problems.NotFound($"There is no workflow named '{name}'.");
        }

        var row = await db.WorkflowVersions.AsNoTracking()
            .SingleOrDefaultAsync(v => v.WorkflowId == workflow.Id && v.Version == version, cancellationToken);
        return row is null
            ? Problems.Problems.NotFound($"The workflow '{name}' has versions 1 to {workflow.LatestVersion}; there is no version {version}.")
            : TypedResults.Ok(new WorkflowVersionResponse(
                name, row.Version, row.Version == workflow.LatestVersion, row.SourceFormat, row.CreatedAt, row.CreatedBy,
                JsonSerializer.Deserialize<JsonElement>(row.Definition), row.Source));
    }
}

/// <summary>A version in the list of a workflow's versions.</summary>
/// <param name="Version">The version number (1, 2, ...).</param>
/// <param name="CreatedAt">When it was stored.</param>
/// <param name="Format">The format the definition was sent in: <c>yaml</c> or <c>json</c>.</param>
/// <param name="CreatedBy">The API key (its name) that stored it.</param>
public sealed record WorkflowVersionSummary(int Version, string Format, DateTimeOffset CreatedAt, string? CreatedBy);

/// <summary>One immutable version of a workflow.</summary>
/// <param name="Name">The workflow.</param>
/// <param name="Version">The version number.</param>
/// <param name="CreatedAt">When it was stored.</param>
/// <param name="CreatedBy">The API key (its name) that stored it.</param>
/// <param name="Latest">True when this is the version new runs start on.</param>
/// <param name="Format">The format of <paramref name="Source"/>: <c>yaml</c> or <c>json</c>.</param>
/// <param name="Definition">The canonical definition (JSON), what runs of this version execute.</param>
/// <param name="Source">The document exactly as it was sent, comments and layout included.</param>
public sealed record WorkflowVersionResponse(
    string Name, int Version, bool Latest, string Format, DateTimeOffset CreatedAt, string? CreatedBy, JsonElement Definition, string Source);
