using System.Text.Json;
using Flowkit.Api.Audit;
using Flowkit.Api.Auth;
using Flowkit.Api.Limits;
using Flowkit.Api.Workflows;
using Flowkit.Definitions;
using Flowkit.Definitions.Connectors;
using Flowkit.Persistence;
using Flowkit.Persistence.Connectors;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Flowkit.Api.Connectors;

/// <summary>
/// Connectors of the caller's workspace (docs/integrations.md): put (create, or a new version when changed), read
/// (latest or one version), list, delete, and import from an OpenAPI 3 document. Versions are immutable, as for
/// workflows; workflows pin the version they were saved with.
/// </summary>
public static class ConnectorsApi
{
    /// <summary>Largest connector or OpenAPI document accepted.</summary>
    public const int MaxDocumentBytes = 512 * 1024;

    public static RouteGroupBuilder MapConnectorsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/connectors").WithTags("Connectors");
        group.MapPut("/{name}", PutAsync)
            .RequirePermission(Permission.Edit)
            .WithName("PutConnector")
            .Accepts<ConnectorDocument>("application/json", "application/yaml")
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .WithSummary("Create a connector (version 1) or store a new version; an identical document stores nothing (changed: false).")
            .WithDescription("Body {baseUrl, auth?, headers?, actions: {name: {method, path, params, query?, output?, description?}}} as YAML or JSON. "
                + "200 {name, version, created, changed}. 422 lists every problem with its path; nothing is stored then.");
        group.MapPost("/{name}/import", ImportAsync)
            .RequirePermission(Permission.Edit)
            .WithName("ImportConnector")
            .Accepts<JsonElement>("application/json", "application/yaml")
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .WithSummary("Make the connector from an OpenAPI 3 document (JSON or YAML): one action per operation.")
            .WithDescription("Stored as PUT stores (a new version when it differs). baseUrl overrides the document's first server. "
                + "200 {name, version, created, changed, actions, notes}; notes say what was not carried over.");
        group.MapGet("/", ListAsync)
            .RequirePermission(Permission.Read)
            .WithName("ListConnectors")
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .WithSummary("The workspace's connectors by name, each with its latest document; page with limit and cursor.");
        group.MapGet("/{name}", GetAsync)
            .RequirePermission(Permission.Read)
            .WithName("GetConnector")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("A connector with its latest document, or with ?version=n that version's.");
        group.MapDelete("/{name}", DeleteAsync)
            .RequirePermission(Permission.Edit)
            .WithName("DeleteConnector")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("Delete a connector: workflows can no longer be saved with it; workflows already saved keep the version they pinned. A PUT brings it back as the next version.");
        return group;
    }

    internal static async Task<Results<Ok<PutConnectorResponse>, ProblemHttpResult>> PutAsync(
        string name, HttpRequest request, FlowkitDbContext db, ConnectorReader reader, AuditLog audit, TimeProvider time, CancellationToken cancellationToken)
    {
        var (problem, text, format) = await ReadBodyAsync(name, request, "connector", cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var reading = reader.Read(text!, format, cancellationToken);
        if (!reading.IsValid)
        {
            return Problems.Problems.Validation($"The connector has {reading.Errors.Count} problem(s).", reading.Errors);
        }

        var saved = await SaveAsync(db, audit, request.HttpContext, name, reading.CanonicalJson!, text!, format == DocumentFormat.Yaml ? "yaml" : "json", time, cancellationToken);
        return saved.Problem is not null ? saved.Problem : TypedResults.Ok(saved.Response!);
    }

    internal static async Task<Results<Ok<ImportConnectorResponse>, ProblemHttpResult>> ImportAsync(
        string name, string? baseUrl, HttpRequest request, FlowkitDbContext db, ConnectorReader reader, AuditLog audit, TimeProvider time, CancellationToken cancellationToken)
    {
        var (problem, text, format) = await ReadBodyAsync(name, request, "OpenAPI document", cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        if (baseUrl is not null && (!Uri.TryCreate(baseUrl, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps)))
        {
            return Problems.Problems.Validation("query.baseUrl", $"'{baseUrl}' is not a full http or https address, like https://api.example.com.");
        }

        var imported = OpenApiImport.Import(text!, format, name, baseUrl, cancellationToken);
        if (imported.Connector is null)
        {
            return Problems.Problems.Validation($"The OpenAPI document has {imported.Errors.Count} problem(s).", imported.Errors);
        }

        var element = JsonSerializer.SerializeToElement(imported.Connector);
        var reading = reader.Read(element);
        if (!reading.IsValid)
        {
            return Problems.Problems.Validation($"The connector made from the OpenAPI document has {reading.Errors.Count} problem(s).", reading.Errors);
        }

        var saved = await SaveAsync(db, audit, request.HttpContext, name, reading.CanonicalJson!, text!, format == DocumentFormat.Yaml ? "openapi-yaml" : "openapi-json", time, cancellationToken);
        if (saved.Problem is not null)
        {
            return saved.Problem;
        }

        var actions = element.GetProperty("actions").EnumerateObject().Select(a => a.Name).ToArray();
        var r = saved.Response!;
        return TypedResults.Ok(new ImportConnectorResponse(r.Name, r.Version, r.Created, r.Changed, actions, imported.Notes));
    }

    internal static async Task<Results<Ok<ConnectorResponse>, ProblemHttpResult>> GetAsync(
        string name, int? version, HttpContext context, FlowkitDbContext db, CancellationToken cancellationToken)
    {
        var workspace = Workspaces.Of(context);
        var row = await db.Connectors.AsNoTracking().SingleOrDefaultAsync(c => c.Workspace == workspace && c.Name == name && c.DeletedAt == null, cancellationToken);
        if (row is null)
        {
            return NotFound(name);
        }

        var wanted = version ?? row.LatestVersion;
        var stored = await db.ConnectorVersions.AsNoTracking().SingleOrDefaultAsync(v => v.ConnectorId == row.Id && v.Version == wanted, cancellationToken);
        return stored is null
            ? Problems.Problems.NotFound($"Connector '{name}' has no version {wanted}; its latest is {row.LatestVersion}.")
            : TypedResults.Ok(ConnectorResponse.From(row, stored));
    }

    internal static async Task<Results<Ok<Page<ConnectorResponse>>, ProblemHttpResult>> ListAsync(
        int? limit, string? cursor, HttpContext context, FlowkitDbContext db, CancellationToken cancellationToken)
    {
        if (Page.CheckLimit(limit, out var size) is { } invalid)
        {
            return invalid;
        }

        var workspace = Workspaces.Of(context);
        var query = db.Connectors.AsNoTracking().Where(c => c.Workspace == workspace && c.DeletedAt == null);
        if (cursor is not null)
        {
            if (!Page.TryReadKeyCursor(cursor, out var after))
            {
                return Page.BadCursor();
            }

            query = query.Where(c => string.Compare(c.Name, after) > 0);
        }

        var rows = await query.OrderBy(c => c.Name).Take(size + 1)
            .Join(db.ConnectorVersions, c => new { c.Id, V = c.LatestVersion }, v => new { Id = v.ConnectorId, V = v.Version }, (c, v) => new { Connector = c, Version = v })
            .ToListAsync(cancellationToken);
        rows = rows.OrderBy(r => r.Connector.Name, StringComparer.Ordinal).ToList();
        var items = rows.Take(size).Select(r => ConnectorResponse.From(r.Connector, r.Version)).ToArray();
        var next = rows.Count > size ? Page.WriteKeyCursor(rows[size - 1].Connector.Name) : null;
        return TypedResults.Ok(new Page<ConnectorResponse>(items, next));
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(
        string name, HttpContext context, FlowkitDbContext db, AuditLog audit, TimeProvider time, CancellationToken cancellationToken)
    {
        var workspace = Workspaces.Of(context);
        var now = time.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var deleted = await db.Connectors
            .FromSql($"UPDATE connectors SET deleted_at = {now}, updated_at = {now} WHERE workspace = {workspace} AND name = {name} AND deleted_at IS NULL RETURNING *")
            .AsNoTracking()
            .ToListAsync(cancellationToken);
        if (deleted.Count == 0)
        {
            return NotFound(name);
        }

        // The entry commits with the deletion, or neither does.
        audit.Record(context, AuditActions.ConnectorDelete, $"connector/{name}", new { version = deleted[0].LatestVersion });
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(CancellationToken.None);
        return TypedResults.NoContent();
    }

    private static async Task<(ProblemHttpResult? Problem, string? Text, DocumentFormat Format)> ReadBodyAsync(
        string name, HttpRequest request, string what, CancellationToken cancellationToken)
    {
        if (!ConnectorReader.IsValidName(name))
        {
            return (Problems.Problems.Validation("name", $"'{Shorten(name)}' is not a connector name. Use 1 to 64 lowercase letters, digits and dashes, starting with a letter or digit, like github."), null, default);
        }

        var format = WorkflowsApi.FormatOf(request.ContentType);
        if (format is null)
        {
            return (Problems.Problems.UnsupportedMediaType($"Send the {what} as application/yaml or application/json{(request.ContentType is null ? "" : $", not {request.ContentType}")}."), null, default);
        }

        var (text, bytes) = await DefinitionBodyReader.ReadAsync(request, MaxDocumentBytes, cancellationToken);
        if (text is null)
        {
            return (TypedResults.Problem(new Microsoft.AspNetCore.Mvc.ProblemDetails
            {
                Type = Problems.ProblemTypes.PayloadTooLarge,
                Title = "Payload too large.",
                Status = StatusCodes.Status413PayloadTooLarge,
                Detail = $"A {what} is at most {MaxDocumentBytes / 1024} KiB{(bytes > 0 ? $"; this one is {bytes} bytes" : string.Empty)}.",
            }), null, default);
        }

        return (null, text, format.Value);
    }

    private static async Task<(ProblemHttpResult? Problem, PutConnectorResponse? Response)> SaveAsync(
        FlowkitDbContext db, AuditLog audit, HttpContext context, string name, string canonical, string source, string sourceFormat, TimeProvider time, CancellationToken cancellationToken)
    {
        var workspace = Workspaces.Of(context);
        var caller = Workspaces.Caller(context);
        var now = time.GetUtcNow();
        string? description;
        using (var document = JsonDocument.Parse(canonical))
        {
            description = document.RootElement.TryGetProperty("description", out var d) ? d.GetString() : null;
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);

        // The connector row is locked until commit: concurrent PUTs of one connector queue here, so each compares with
        // the version the one before stored, and two never both become version n+1.
        var row = await db.Connectors
            .FromSql($"SELECT * FROM connectors WHERE workspace = {workspace} AND name = {name} FOR UPDATE")
            .SingleOrDefaultAsync(cancellationToken);
        if (row is null)
        {
            row = new ConnectorRow
            {
                Id = Guid.CreateVersion7(), Workspace = workspace, Name = name, Description = description, LatestVersion = 1, CreatedAt = now, UpdatedAt = now,
            };
            db.Connectors.Add(row);
            db.ConnectorVersions.Add(NewVersion(row, 1, canonical, source, sourceFormat, now, caller));
            audit.Record(context, AuditActions.ConnectorPut, $"connector/{name}", after: AuditDocument(1, canonical));
            try
            {
                await db.SaveChangesAsync(cancellationToken);
                // Once the rows are written, finish: the caller may have gone, but the connector is whole or absent.
                await transaction.CommitAsync(CancellationToken.None);
            }
            catch (DbUpdateException ex) when (ex.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
            {
                await transaction.RollbackAsync(CancellationToken.None);
                return (Problems.Problems.Conflict($"Another request created the connector '{name}' at the same moment; send yours again to change it."), null);
            }

            return (null, new PutConnectorResponse(name, 1, Created: true, Changed: true));
        }

        var latest = await db.ConnectorVersions.AsNoTracking()
            .Where(v => v.ConnectorId == row.Id && v.Version == row.LatestVersion)
            .Select(v => v.Document)
            .SingleAsync(cancellationToken);
        var revived = row.DeletedAt is not null;
        if (!revived && WorkflowsApi.SameDefinition(latest, canonical))
        {
            return (null, new PutConnectorResponse(name, row.LatestVersion, Created: false, Changed: false));
        }

        var before = revived ? null : AuditDocument(row.LatestVersion, latest);
        row.LatestVersion++;
        row.Description = description;
        row.DeletedAt = null;
        row.UpdatedAt = now;
        db.ConnectorVersions.Add(NewVersion(row, row.LatestVersion, canonical, source, sourceFormat, now, caller));
        audit.Record(context, AuditActions.ConnectorPut, $"connector/{name}", before, AuditDocument(row.LatestVersion, canonical));
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(CancellationToken.None);
        return (null, new PutConnectorResponse(name, row.LatestVersion, Created: revived, Changed: true));
    }

    /// <summary>A connector as its audit entries show it: version and document (which names secrets, never holds their values).</summary>
    private static object AuditDocument(int version, string document) =>
        new { version, document = JsonSerializer.Deserialize<JsonElement>(document) };

    private static ConnectorVersionRow NewVersion(ConnectorRow row, int version, string canonical, string source, string format, DateTimeOffset now, string caller) => new()
    {
        ConnectorId = row.Id,
        Version = version,
        Workspace = row.Workspace,
        Document = canonical,
        Source = source,
        SourceFormat = format,
        CreatedAt = now,
        CreatedBy = caller,
    };

    private static ProblemHttpResult NotFound(string name) =>
        Problems.Problems.NotFound($"There is no connector named '{Shorten(name)}'. Register it with PUT /api/v1/connectors/{{name}}.");

    private static string Shorten(string text) => text.Length <= 80 ? text : string.Concat(text.AsSpan(0, 80), "...");
}
