using System.Globalization;
using Flowkit.Definitions;
using Flowkit.Persistence;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Flowkit.Api.Limits;

/// <summary>Per-workspace quotas on definitions (issue #19, finding 8).</summary>
internal static class WorkspaceQuota
{
    /// <summary>
    /// Inside the caller's transaction: takes the workspace's definitions lock (held to commit, so two creates at the
    /// quota cannot both pass the count) and answers the 422 problem when the workspace already has
    /// <see cref="DefinitionLimits.MaxDefinitionsPerWorkspace"/> workflows that are not archived.
    /// </summary>
    public static async Task<ProblemHttpResult?> CheckDefinitionsAsync(FlowkitDbContext db, string workspace, DefinitionLimits limits, CancellationToken cancellationToken)
    {
        var lockKey = "workflows:" + workspace;
        await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock(hashtextextended({lockKey}, 0))", cancellationToken);
        var live = await db.Workflows.CountAsync(w => w.Workspace == workspace && w.ArchivedAt == null, cancellationToken);
        if (live < limits.MaxDefinitionsPerWorkspace)
        {
            return null;
        }

        var max = limits.MaxDefinitionsPerWorkspace.ToString("N0", CultureInfo.InvariantCulture);
        return Problems.Problems.Validation("$",
            $"This workspace has {live.ToString("N0", CultureInfo.InvariantCulture)} workflows; at most {max} are allowed (setting Flowkit:Limits:MaxDefinitionsPerWorkspace). Archive one you no longer use (DELETE /api/v1/workflows/{{name}}) or update an existing one.");
    }
}
