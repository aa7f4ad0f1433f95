using System.Text;
using Flowkit.Definitions;
using Flowkit.Persistence;
using Flowkit.Persistence.Workflows;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Flowkit.Api.Workflows;

/// <summary>Workflow definitions: create, read.</summary>
public static class WorkflowsApi
{
    public static RouteGroupBuilder MapWorkflowsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/workflows").WithTags("Workflows");
        group.MapPost("/", CreateAsync)
            .Accepts<string>("application/yaml", "application/json")
            .WithSummary("Create a workflow from a YAML or JSON definition (version 1).");
        group.MapGet("/{name}", GetAsync).WithSummary("A workflow with its latest definition.");
        return group;
    }

    internal static async Task<Results<Created<WorkflowResponse>, ProblemHttpResult>> CreateAsync(
        HttpRequest request, FlowkitDbContext db, DefinitionCompiler compiler, TimeProvider time, CancellationToken cancellationToken)
    {
        var format = FormatOf(request.ContentType);
        if (format is null)
        {
            return Problems.Problems.UnsupportedMediaType("Send the definition as application/yaml or application/json.");
        }

        var source = await ReadBodyAsync(request, cancellationToken);
        var compilation = compiler.Compile(source, format.Value);
        if (!compilation.IsValid)
        {
            return Problems.Problems.Validation($"The definition has {compilation.Errors.Count} problem(s).", compilation.Errors);
        }

        var definition = compilation.Definition!;
        var workspace = Workspaces.Of(request.HttpContext);
        var now = time.GetUtcNow();
        var workflow = new WorkflowRow
        {
            Id = Guid.CreateVersion7(),
            Workspace = workspace,
            Name = definition.Name,
            Description = definition.Description,
            LatestVersion = 1,
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.Workflows.Add(workflow);
        db.WorkflowVersions.Add(new WorkflowVersionRow
        {
            WorkflowId = workflow.Id,
            Version = 1,
            Workspace = workspace,
            Definition = compilation.CanonicalJson!,
            Source = source,
            SourceFormat = format.Value == DocumentFormat.Yaml ? "yaml" : "json",
            CreatedAt = now,
        });

        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException ex) when (ex.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            return Problems.Problems.Conflict($"A workflow named '{definition.Name}' already exists in this workspace. Update it with PUT /api/v1/workflows/{definition.Name}.");
        }

        return TypedResults.Created($"/api/v1/workflows/{workflow.Name}", WorkflowResponse.From(workflow, compilation.CanonicalJson!));
    }

    internal static async Task<Results<Ok<WorkflowResponse>, ProblemHttpResult>> GetAsync(
        string name, HttpContext context, FlowkitDbContext db, CancellationToken cancellationToken)
    {
        var workspace = Workspaces.Of(context);
        var found = await db.Workflows.AsNoTracking()
            .Where(w => w.Workspace == workspace && w.Name == name)
            .Join(db.WorkflowVersions, w => new { w.Id, V = w.LatestVersion }, v => new { Id = v.WorkflowId, V = v.Version }, (w, v) => new { w, v.Definition })
            .SingleOrDefaultAsync(cancellationToken);
        return found is null
            ? Problems.Problems.NotFound($"There is no workflow named '{name}'.")
            : TypedResults.Ok(WorkflowResponse.From(found.w, found.Definition));
    }

    internal static DocumentFormat? FormatOf(string? contentType)
    {
        var mediaType = contentType?.Split(';')[0].Trim().ToLowerInvariant();
        return mediaType switch
        {
            "application/json" => DocumentFormat.Json,
            "application/yaml" or "application/x-yaml" or "text/yaml" or "text/x-yaml" => DocumentFormat.Yaml,
            _ => null,
        };
    }

    private static async Task<string> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        return await reader.ReadToEndAsync(cancellationToken);
    }
}

/// <summary>A workflow as the API shows it.</summary>
public sealed record WorkflowResponse(
    Guid Id,
    string Name,
    string? Description,
    int Version,
    bool Archived,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    System.Text.Json.JsonElement Definition)
{
    internal static WorkflowResponse From(WorkflowRow row, string definition) =>
        new(row.Id, row.Name, row.Description, row.LatestVersion, row.ArchivedAt is not null, row.CreatedAt, row.UpdatedAt,
            System.Text.Json.JsonSerializer.Deserialize<System.Text.Json.JsonElement>(definition));
}
