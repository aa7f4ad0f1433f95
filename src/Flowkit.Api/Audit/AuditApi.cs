using Flowkit.Api.Auth;
using Flowkit.Persistence;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Flowkit.Api.Audit;

/// <summary>The audit log of the caller's workspace (issue #16): newest first, paged, filtered.</summary>
public static class AuditApi
{
    public static IEndpointRouteBuilder MapAuditApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/api/v1/audit", ListAsync)
            .RequirePermission(Permission.Govern)
            .WithName("ListAuditEntries")
            .WithTags("Audit")
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .WithSummary("Who changed what in this workspace, newest first; filter by actor (key id or name), action, target, since (inclusive) and until (exclusive); page with limit and cursor.")
            .WithDescription("action and target match exactly, or by prefix when they end with '*' (action=run.*, target=workflow/invoices*). Entries are append-only: the database refuses to change or delete them.");
        return routes;
    }

    internal static async Task<Results<Ok<Page<AuditEntryResponse>>, ProblemHttpResult>> ListAsync(
        string? actor,
        string? action,
        string? target,
        DateTimeOffset? since,
        DateTimeOffset? until,
        int? limit,
        string? cursor,
        HttpContext context,
        FlowkitDbContext db,
        CancellationToken cancellationToken)
    {
        if (Page.CheckLimit(limit, out var size) is { } invalid)
        {
            return invalid;
        }

        if (since is not null && until is not null && until <= since)
        {
            return Problems.Problems.Validation("query.until", $"'until' ({until:O}) must be after 'since' ({since:O}).");
        }

        var workspace = Workspaces.Of(context);
        var query = db.AuditLog.AsNoTracking().Where(e => e.Workspace == workspace);
        if (actor is not null)
        {
            query = Guid.TryParse(actor, out var keyId)
                ? query.Where(e => e.ActorKeyId == keyId)
                : query.Where(e => e.ActorName == actor);
        }

        if (action is not null)
        {
            query = action.EndsWith('*')
                ? query.Where(e => EF.Functions.Like(e.Action, Prefix(action), Escape))
                : query.Where(e => e.Action == action);
        }

        if (target is not null)
        {
            query = target.EndsWith('*')
                ? query.Where(e => EF.Functions.Like(e.Target, Prefix(target), Escape))
                : query.Where(e => e.Target == target);
        }

        if (since is { } from)
        {
            var fromUtc = from.ToUniversalTime();
            query = query.Where(e => e.At >= fromUtc);
        }

        if (until is { } to)
        {
            var toUtc = to.ToUniversalTime();
            query = query.Where(e => e.At < toUtc);
        }

        var page = await Page.NewestFirstAsync(query, e => e.At, e => e.Id, cursor, size, AuditEntryResponse.From, cancellationToken);
        return page is null ? Page.BadCursor() : TypedResults.Ok(page);
    }

    private const string Escape = "\\";

    /// <summary>The LIKE pattern of a filter ending in '*': what comes before it, with LIKE's own wildcards escaped.</summary>
    private static string Prefix(string value) =>
        value[..^1].Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal) + "%";
}
