using System.Text.Json;
using Flowkit.Api.Audit;
using Flowkit.Api.Auth;
using Flowkit.Api.Cron;
using Flowkit.Api.Limits;
using Flowkit.Definitions;
using Flowkit.Persistence;
using Flowkit.Persistence.Workflows;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Flowkit.Api.Workflows;

/// <summary>
/// Workflow definitions: create (version 1), update (version n+1, or nothing when identical), list, read, archive.
/// Versions are immutable: nothing here changes a stored version.
/// </summary>
public static class WorkflowsApi
{
    public static RouteGroupBuilder MapWorkflowsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/workflows").WithTags("Workflows");
        group.MapPost("/", CreateAsync)
            .RequirePermission(Permission.Edit)
            .WithName("CreateWorkflow")
            .WithMetadata(DefinitionBody.Instance)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .WithSummary("Create a workflow from a YAML or JSON definition (version 1).")
            .WithDescription("409 when the name is taken in this workspace (archived workflows keep their name); 413 when the definition is over Flowkit:Limits:MaxDefinitionBytes; "
                + "422 lists every problem of the definition (up to Flowkit:Limits:MaxErrors), a definition over a limit of Flowkit:Limits, or a workspace at its MaxDefinitionsPerWorkspace; nothing is stored then.");
        group.MapPost("/validate", WorkflowValidationApi.ValidateAsync)
            .RequirePermission(Permission.Read)
            .WithName("ValidateWorkflow")
            .WithMetadata(DefinitionBody.Instance)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .WithSummary("Check a definition as create and update would, storing nothing: every problem with its line, or the compiled DAG.")
            .WithDescription("200 whether or not the definition is valid: valid, errors [{path, message, line, column}] in the same words as a 422, "
                + "and for a valid definition its name and graph (steps, edges with then/else branches, triggers). 413 and 415 as for create.");
        group.MapGet("/", ListAsync)
            .RequirePermission(Permission.Read)
            .WithName("ListWorkflows")
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .WithSummary("Workflows by name, each with its latest definition; page with limit and cursor.")
            .WithDescription("Ordered by name. Archived workflows are left out unless archived=true, which lists only them.");
        group.MapGet("/{name}", GetAsync)
            .RequirePermission(Permission.Read)
            .WithName("GetWorkflow")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("A workflow with its latest definition (archived ones too).");
        group.MapPut("/{name}", UpdateAsync)
            .RequirePermission(Permission.Edit)
            .WithName("UpdateWorkflow")
            .WithMetadata(DefinitionBody.Instance)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .WithSummary("Store a new version when the definition changed; an identical definition stores nothing (changed: false).")
            .WithDescription("The definition's name must be the name in the path. Runs already started finish on their own version. 409 when the workflow is archived; "
                + "413 and 422 as for create, under the limits of Flowkit:Limits.");
        group.MapDelete("/{name}", ArchiveAsync)
            .RequirePermission(Permission.Edit)
            .WithName("ArchiveWorkflow")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("Archive: no new runs, triggers off, history kept. Archiving an archived workflow changes nothing (204).");
        group.MapGet("/{name}/versions", WorkflowVersionsApi.ListAsync)
            .RequirePermission(Permission.Read)
            .WithName("ListWorkflowVersions")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .WithSummary("The workflow's versions, newest first; page with limit and cursor.");
        group.MapGet("/{name}/versions/{version:int}", WorkflowVersionsApi.GetAsync)
            .RequirePermission(Permission.Read)
            .WithName("GetWorkflowVersion")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("One version: its canonical definition and the source text as it was sent (YAML or JSON).");
        return group;
    }

    internal static async Task<Results<Created<WorkflowResponse>, ProblemHttpResult>> CreateAsync(
        HttpRequest request,
        FlowkitDbContext db,
        DefinitionCompiler compiler,
        IOptions<DefinitionLimits> limits,
        CronSignal cron,
        AuditLog audit,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        var read = await ReadDefinitionAsync(request, compiler, limits.Value, db, cancellationToken);
        if (read.Problem is not null)
        {
            return read.Problem;
        }

        var definition = read.Compilation!.Definition!;
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
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (await WorkspaceQuota.CheckDefinitionsAsync(db, workspace, limits.Value, cancellationToken) is { } full)
        {
            return full;
        }

        db.Workflows.Add(workflow);
        db.WorkflowVersions.Add(read.NewVersion(workflow, 1, Workspaces.Caller(request.HttpContext), now));
        audit.Record(request.HttpContext, AuditActions.WorkflowCreate, $"workflow/{workflow.Name}", after: VersionRef(workflow.Name, 1));

        try
        {
            await db.SaveChangesAsync(cancellationToken);
            // Once the rows are written, finish: the caller may have gone, but the workflow is whole or absent.
            await transaction.CommitAsync(CancellationToken.None);
        }
        catch (DbUpdateException ex) when (ex.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            // The failed insert aborted the transaction: end it before asking why.
            await transaction.RollbackAsync(CancellationToken.None);
            db.ChangeTracker.Clear();
            var archived = await db.Workflows.AnyAsync(w => w.Workspace == workspace && w.Name == definition.Name && w.ArchivedAt != null, cancellationToken);
            return Problems.Problems.Conflict(archived
                ? $"An archived workflow is named '{definition.Name}' in this workspace; names stay taken so its history stays readable. Choose another name."
                : $"A workflow named '{definition.Name}' already exists in this workspace. Update it with PUT /api/v1/workflows/{definition.Name}.");
        }

        cron.Notify();
        return TypedResults.Created($"/api/v1/workflows/{workflow.Name}", WorkflowResponse.From(workflow, read.Compilation.CanonicalJson!));
    }

    internal static async Task<Results<Ok<UpdateWorkflowResponse>, ProblemHttpResult>> UpdateAsync(
        string name,
        HttpRequest request,
        FlowkitDbContext db,
        DefinitionCompiler compiler,
        IOptions<DefinitionLimits> limits,
        CronSignal cron,
        AuditLog audit,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        var read = await ReadDefinitionAsync(request, compiler, limits.Value, db, cancellationToken);
        if (read.Problem is not null)
        {
            return read.Problem;
        }

        var definition = read.Compilation!.Definition!;
        if (definition.Name != name)
        {
            return Problems.Problems.Validation("$.name",
                $"The definition is named '{definition.Name}' but the address names '{name}'. A workflow keeps its name: write name: {name}, or create a new workflow with POST /api/v1/workflows.");
        }

        var workspace = Workspaces.Of(request.HttpContext);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);

        // The workflow row is locked until commit: concurrent updates of one workflow queue here, so each compares
        // against the version the one before it stored, and two updates never both become version n+1 (the primary
        // key of workflow_versions would refuse the second anyway).
        var workflow = await db.Workflows
            .FromSql($"SELECT * FROM workflows WHERE workspace = {workspace} AND name = {name} FOR UPDATE")
            .SingleOrDefaultAsync(cancellationToken);
        if (workflow is null)
        {
            return Problems.Problems.NotFound($"There is no workflow named '{name}'. Create it with POST /api/v1/workflows.");
        }

        if (workflow.ArchivedAt is not null)
        {
            return Problems.Problems.Conflict($"The workflow '{name}' is archived; its versions are kept but it takes no updates.");
        }

        var latest = await db.WorkflowVersions.AsNoTracking()
            .Where(v => v.WorkflowId == workflow.Id && v.Version == workflow.LatestVersion)
            .Select(v => v.Definition)
            .SingleAsync(cancellationToken);
        if (SameDefinition(latest, read.Compilation.CanonicalJson!))
        {
            return TypedResults.Ok(new UpdateWorkflowResponse(name, workflow.LatestVersion, false));
        }

        var now = time.GetUtcNow();
        var version = workflow.LatestVersion + 1;
        db.WorkflowVersions.Add(read.NewVersion(workflow, version, Workspaces.Caller(request.HttpContext), now));
        audit.Record(request.HttpContext, AuditActions.WorkflowUpdate, $"workflow/{name}", VersionRef(name, workflow.LatestVersion), VersionRef(name, version));
        workflow.LatestVersion = version;
        workflow.Description = definition.Description;
        workflow.UpdatedAt = now;
        await db.SaveChangesAsync(cancellationToken);
        // Once the version is written, finish: the caller may have gone, but the update is whole or absent.
        await transaction.CommitAsync(CancellationToken.None);
        cron.Notify();
        return TypedResults.Ok(new UpdateWorkflowResponse(name, version, true));
    }

    internal static async Task<Results<Ok<WorkflowResponse>, ProblemHttpResult>> GetAsync(
        string name, HttpContext context, FlowkitDbContext db, CancellationToken cancellationToken)
    {
        var workspace = Workspaces.Of(context);
        var found = await WithLatestDefinition(db, db.Workflows.AsNoTracking().Where(w => w.Workspace == workspace && w.Name == name))
            .SingleOrDefaultAsync(cancellationToken);
        return found is null
            ? Problems.Problems.NotFound($"There is no workflow named '{name}'.")
            : TypedResults.Ok(WorkflowResponse.From(found.Workflow, found.Definition));
    }

    internal static async Task<Results<Ok<Page<WorkflowResponse>>, ProblemHttpResult>> ListAsync(
        int? limit, string? cursor, bool? archived, HttpContext context, FlowkitDbContext db, CancellationToken cancellationToken)
    {
        if (Page.CheckLimit(limit, out var size) is { } invalid)
        {
            return invalid;
        }

        var workspace = Workspaces.Of(context);
        var query = db.Workflows.AsNoTracking().Where(w => w.Workspace == workspace);
        query = archived == true ? query.Where(w => w.ArchivedAt != null) : query.Where(w => w.ArchivedAt == null);
        if (cursor is not null)
        {
            if (!Page.TryReadKeyCursor(cursor, out var after))
            {
                return Page.BadCursor();
            }

            query = query.Where(w => string.Compare(w.Name, after) > 0);
        }

        var rows = await WithLatestDefinition(db, query.OrderBy(w => w.Name).Take(size + 1))
            .OrderBy(x => x.Workflow.Name)
            .ToListAsync(cancellationToken);
        var items = rows.Take(size).Select(r => WorkflowResponse.From(r.Workflow, r.Definition)).ToArray();
        var next = rows.Count > size ? Page.WriteKeyCursor(rows[size - 1].Workflow.Name) : null;
        return TypedResults.Ok(new Page<WorkflowResponse>(items, next));
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> ArchiveAsync(
        string name, HttpContext context, FlowkitDbContext db, CronSignal cron, AuditLog audit, TimeProvider time, CancellationToken cancellationToken)
    {
        var workspace = Workspaces.Of(context);
        var now = time.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var archived = await db.Workflows
            .Where(w => w.Workspace == workspace && w.Name == name && w.ArchivedAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(w => w.ArchivedAt, now).SetProperty(w => w.UpdatedAt, now), cancellationToken);
        if (archived > 0)
        {
            // Only the request that archived it records it: a second archive changes nothing and records nothing.
            var latest = await db.Workflows.Where(w => w.Workspace == workspace && w.Name == name).Select(w => w.LatestVersion).SingleAsync(cancellationToken);
            audit.Record(context, AuditActions.WorkflowArchive, $"workflow/{name}", VersionRef(name, latest), new { archived = true, version = latest });
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(CancellationToken.None);
        }
        else if (!await db.Workflows.AnyAsync(w => w.Workspace == workspace && w.Name == name, cancellationToken))
        {
            return Problems.Problems.NotFound($"There is no workflow named '{name}'.");
        }

        // Archiving twice is not an error: DELETE is idempotent, and the first archive time is kept.
        cron.Notify();
        return TypedResults.NoContent();
    }

    /// <summary>An audit entry's before or after of a definition: its version and where to read it.</summary>
    private static object VersionRef(string name, int version) =>
        new { version, definition = $"/api/v1/workflows/{name}/versions/{version}" };

    /// <summary>
    /// Whether a stored definition (jsonb, which reorders keys and spacing) is the same as a canonical one: compared as
    /// JSON values, so an update that changes nothing but layout or key order stores nothing.
    /// </summary>
    internal static bool SameDefinition(string stored, string canonical)
    {
        using var left = JsonDocument.Parse(stored);
        using var right = JsonDocument.Parse(canonical);
        return JsonElement.DeepEquals(left.RootElement, right.RootElement);
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

    private static IQueryable<WorkflowWithDefinition> WithLatestDefinition(FlowkitDbContext db, IQueryable<WorkflowRow> workflows) =>
        workflows.Join(
            db.WorkflowVersions,
            w => new { w.Id, V = w.LatestVersion },
            v => new { Id = v.WorkflowId, V = v.Version },
            (w, v) => new WorkflowWithDefinition { Workflow = w, Definition = v.Definition });

    /// <summary>
    /// Reads and compiles the body under <paramref name="limits"/>. <paramref name="cancellationToken"/> is the
    /// request's: when the client goes away, reading and validating stop with it.
    /// </summary>
    private static async Task<DefinitionRead> ReadDefinitionAsync(HttpRequest request, DefinitionCompiler compiler, DefinitionLimits limits, FlowkitDbContext db, CancellationToken cancellationToken)
    {
        var format = FormatOf(request.ContentType);
        if (format is null)
        {
            return new DefinitionRead(Problems.Problems.UnsupportedMediaType(
                $"Send the definition as application/yaml or application/json{(request.ContentType is null ? "" : $", not {request.ContentType}")}."), null, "", default);
        }

        var (source, bytes) = await DefinitionBodyReader.ReadAsync(request, limits.MaxDefinitionBytes, cancellationToken);
        if (source is null)
        {
            return new DefinitionRead(LimitProblems.DefinitionTooLarge(bytes, limits), null, "", default);
        }

        var compilation = compiler.Compile(source, format.Value, limits, cancellationToken);

        // Connector steps are checked against the workspace's connectors and pinned to the version they run.
        compilation = await Connectors.ConnectorBinder.BindAsync(db, Workspaces.Of(request.HttpContext), compilation, cancellationToken);
        return compilation.IsValid
            ? new DefinitionRead(null, compilation, source, format.Value)
            : new DefinitionRead(Problems.Problems.Validation($"The definition has {compilation.Errors.Count} problem(s).", compilation.Errors), null, "", default);
    }

    // A class with setters, not a positional record: EF translates ordering by members of a member-init projection.
    private sealed class WorkflowWithDefinition
    {
        public required WorkflowRow Workflow { get; init; }

        public required string Definition { get; init; }
    }

    private sealed record DefinitionRead(ProblemHttpResult? Problem, Compilation? Compilation, string Source, DocumentFormat Format)
    {
        public WorkflowVersionRow NewVersion(WorkflowRow workflow, int version, string createdBy, DateTimeOffset now) => new()
        {
            WorkflowId = workflow.Id,
            Version = version,
            Workspace = workflow.Workspace,
            Definition = Compilation!.CanonicalJson!,
            Source = Source,
            SourceFormat = Format == DocumentFormat.Yaml ? "yaml" : "json",
            CreatedAt = now,
            CreatedBy = createdBy,
        };
    }
}

/// <summary>Marks an endpoint whose body is a workflow definition (YAML or JSON), for the OpenAPI document.</summary>
internal sealed class DefinitionBody
{
    public static readonly DefinitionBody Instance = new();
}

/// <summary>A workflow as the API shows it, with its latest definition (canonical JSON).</summary>
/// <param name="Id">The workflow's id.</param>
/// <param name="Name">Its name, unique in the workspace.</param>
/// <param name="Description">The latest definition's description.</param>
/// <param name="Version">The latest version.</param>
/// <param name="Archived">True once archived (DELETE): no new runs, triggers off.</param>
/// <param name="ArchivedAt">When it was archived.</param>
/// <param name="CreatedAt">When version 1 was stored.</param>
/// <param name="UpdatedAt">When the latest version was stored (or the workflow archived).</param>
/// <param name="Definition">The latest version's canonical definition.</param>
public sealed record WorkflowResponse(
    Guid Id,
    string Name,
    string? Description,
    int Version,
    bool Archived,
    DateTimeOffset? ArchivedAt,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    JsonElement Definition)
{
    internal static WorkflowResponse From(WorkflowRow row, string definition) =>
        new(row.Id, row.Name, row.Description, row.LatestVersion, row.ArchivedAt is not null, row.ArchivedAt, row.CreatedAt, row.UpdatedAt,
            JsonSerializer.Deserialize<JsonElement>(definition));
}

/// <summary>The answer to PUT /api/v1/workflows/{name}.</summary>
/// <param name="Name">The workflow.</param>
/// <param name="Version">The latest version after the update: the new one, or the unchanged latest.</param>
/// <param name="Changed">False when the definition was identical to the latest version and nothing was stored.</param>
public sealed record UpdateWorkflowResponse(string Name, int Version, bool Changed);
