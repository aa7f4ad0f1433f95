using Flowkit.Api.Auth;
using Flowkit.Persistence;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Flowkit.Api.Runs;

/// <summary>The items of a for-each step of a run, a page at a time (docs/api.md).</summary>
public static class StepItemsApi
{
    public static IEndpointRouteBuilder MapStepItemsApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/api/v1/runs/{id:guid}/steps/{stepId}/items", ItemsAsync)
            .RequirePermission(Permission.Read)
            .WithTags("Runs")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .WithSummary("The items of a for-each step in index order, each with its status, attempts, value, output and error; page with limit (1 to 500, default 50) and cursor.")
            .WithDescription("A step that is not a for-each step, or has not started, has no items (an empty page). Items never started read pending with 0 attempts.");
        return routes;
    }

    internal static async Task<Results<Ok<Page<StepItemResponse>>, ProblemHttpResult>> ItemsAsync(
        Guid id, string stepId, int? limit, string? cursor, HttpContext context, FlowkitDbContext db, CancellationToken cancellationToken)
    {
        if (Page.CheckLimit(limit, out var size) is { } invalid)
        {
            return invalid;
        }

        var after = -1L;
        if (cursor is not null && !Page.TryReadPositionCursor(cursor, out after))
        {
            return Page.BadCursor();
        }

        var workspace = Workspaces.Of(context);
        if (!await db.Runs.AnyAsync(r => r.CorrelationId == id && r.Workspace == workspace, cancellationToken))
        {
            return Problems.Problems.NotFound($"There is no run {id}.");
        }

        if (!await db.Steps.AnyAsync(s => s.RunId == id && s.StepId == stepId, cancellationToken))
        {
            return Problems.Problems.NotFound($"Run {id} has no step '{stepId}'.");
        }

        // Keyset on the primary key (run_id, step_id, index): a page costs the same at item 10 and at item 9,990.
        var rows = await db.StepItems.AsNoTracking()
            .Where(i => i.RunId == id && i.StepId == stepId && i.Index > after)
            .OrderBy(i => i.Index)
            .Take(size + 1)
            .ToListAsync(cancellationToken);
        var next = rows.Count > size ? Page.WritePositionCursor(rows[size - 1].Index) : null;
        return TypedResults.Ok(new Page<StepItemResponse>([.. rows.Take(size).Select(StepItemResponse.From)], next));
    }
}
