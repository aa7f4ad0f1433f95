using System.Security.Claims;
using System.Text.RegularExpressions;
using Flowkit.Api.Audit;
using Flowkit.Persistence;
using Flowkit.Persistence.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Flowkit.Api.Auth;

/// <summary>
/// API keys and workspaces: create a key (shown once), list and revoke the keys of the caller's workspace. Only the
/// configured bootstrap key makes keys for another workspace, and only for a new one, which it creates (issue 19
/// finding 6: a key of <c>default</c> could mint an admin key of any existing workspace). Keys of an existing
/// workspace come from that workspace's own admin keys.
/// </summary>
public static partial class KeysApi
{
    private const int MaxNameLength = 100;

    /// <summary>The longest grace period of a rotation: a day.</summary>
    public const int MaxGraceSeconds = 86_400;

    public static RouteGroupBuilder MapKeysApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/keys").WithTags("API keys");
        group.MapPost("/", CreateAsync)
            .RequirePermission(Permission.Govern)
            .WithName("CreateApiKey")
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .WithSummary("Create an API key with a role (admin, editor, operator, approver, viewer; default admin); the answer is the only time the key is shown.")
            .WithDescription("The key belongs to the caller's workspace. Only the bootstrap key may name another 'workspace', and only a new one: it is created with this key (409 if it exists). Roles and their permissions: docs/security.md.");
        group.MapGet("/", ListAsync)
            .RequirePermission(Permission.Govern)
            .WithName("ListApiKeys")
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .WithSummary("The keys of the caller's workspace, newest first (never the keys themselves); page with limit and cursor.");
        group.MapPost("/{id:guid}/rotate", RotateAsync)
            .RequirePermission(Permission.Govern)
            .WithName("RotateApiKey")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .WithSummary("Give a key a new secret (shown once in the answer); the old secret stops working at once, or after graceSeconds (at most 86400).")
            .WithDescription("The key keeps its id, name and role. Optional body {graceSeconds}: the old secret keeps working that long, so clients can be switched over. 409 for a revoked key.");
        group.MapGet("/me", MeAsync)
            .RequirePermission(Permission.Read)
            .WithName("GetOwnApiKey")
            .WithSummary("The calling key: its id, name, workspace, role and the permissions the role grants (so a console can show only what it may do).");
        group.MapDelete("/{id:guid}", RevokeAsync)
            .RequirePermission(Permission.Govern)
            .WithName("RevokeApiKey")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("Revoke a key of the caller's workspace: it stops authenticating at once. Revoking twice changes nothing (204).");
        return group;
    }

    internal static async Task<Results<Created<CreatedApiKeyResponse>, ProblemHttpResult>> CreateAsync(
        CreateApiKeyRequest? body, HttpContext context, FlowkitDbContext db, AuditLog audit, TimeProvider time, CancellationToken cancellationToken)
    {
        var callerWorkspace = Workspaces.Of(context);
        var name = body?.Name?.Trim() ?? "";
        var errors = new List<Definitions.ValidationError>();
        if (name.Length is 0 or > MaxNameLength || name.Any(char.IsControl))
        {
            errors.Add(new("$.name", $"Give the key a name of 1 to {MaxNameLength} characters (no line breaks), such as 'ci-deploy'."));
        }
        else if (name == ApiKeyDefaults.BootstrapName)
        {
            errors.Add(new("$.name", $"'{ApiKeyDefaults.BootstrapName}' is the name of the configured bootstrap key. Choose another name."));
        }

        var workspace = body?.Workspace ?? callerWorkspace;
        if (!WorkspacePattern().IsMatch(workspace))
        {
            errors.Add(new("$.workspace", "A workspace name is 1 to 64 lowercase letters, digits and dashes, starting with a letter or digit."));
        }

        var role = body?.Role ?? ApiKeyRoles.Admin;
        if (!ApiKeyRoles.IsKnown(role))
        {
            errors.Add(new("$.role", $"'{Shorten(role)}' is not a role. Use one of: {string.Join(", ", ApiKeyRoles.All)} (docs/security.md)."));
        }

        if (errors.Count > 0)
        {
            return Problems.Problems.Validation($"The request has {errors.Count} problem(s).", errors);
        }

        var newWorkspace = workspace != callerWorkspace;
        if (newWorkspace && !IsBootstrap(context))
        {
            return Problems.Problems.Forbidden($"A key of workspace '{callerWorkspace}' creates keys for that workspace only; a new workspace and its first key come from the bootstrap key.");
        }

        var key = ApiKeys.Generate();
        var row = new ApiKeyRow
        {
            Id = Guid.CreateVersion7(),
            Workspace = workspace,
            Name = name,
            Prefix = ApiKeys.Display(key),
            Hash = ApiKeys.Hash(key),
            Role = role,
            CreatedBy = Workspaces.Caller(context),
            CreatedAt = time.GetUtcNow(),
        };

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (newWorkspace)
        {
            // The insert decides, so two concurrent requests for one new workspace give it one first key.
            var created = await db.Database.ExecuteSqlAsync(
                $"INSERT INTO workspaces (id, created_at) VALUES ({workspace}, {row.CreatedAt}) ON CONFLICT (id) DO NOTHING", cancellationToken);
            if (created == 0)
            {
                return Problems.Problems.Conflict($"Workspace '{workspace}' already exists. Its keys are made with one of its own admin keys; the bootstrap key only creates new workspaces.");
            }
        }

        db.ApiKeys.Add(row);
        // In the key's workspace, so its admins see where each key came from (the bootstrap key's first key too).
        audit.Record(context, AuditActions.KeyCreate, $"key/{row.Id}", after: new { row.Name, row.Role, row.Prefix }, workspace: row.Workspace);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException ex) when (ex.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            return Problems.Problems.Conflict($"Workspace '{workspace}' already has a key named '{name}'. Choose another name, or revoke that key first.");
        }

        // The key is shown only in this answer: once the row is written, finish even if the caller has gone.
        await transaction.CommitAsync(CancellationToken.None);
        return TypedResults.Created($"/api/v1/keys/{row.Id}", new CreatedApiKeyResponse(row.Id, row.Name, row.Workspace, row.Prefix, row.Role, row.CreatedAt, key));
    }

    internal static async Task<Results<Ok<Page<ApiKeyResponse>>, ProblemHttpResult>> ListAsync(
        int? limit, string? cursor, HttpContext context, FlowkitDbContext db, CancellationToken cancellationToken)
    {
        if (Page.CheckLimit(limit, out var size) is { } invalid)
        {
            return invalid;
        }

        var workspace = Workspaces.Of(context);
        var page = await Page.NewestFirstAsync(
            db.ApiKeys.AsNoTracking().Where(k => k.Workspace == workspace), k => k.CreatedAt, k => k.Id, cursor, size, ApiKeyResponse.From, cancellationToken);
        return page is null ? Page.BadCursor() : TypedResults.Ok(page);
    }

    internal static async Task<Results<Ok<CreatedApiKeyResponse>, ProblemHttpResult>> RotateAsync(
        Guid id, RotateApiKeyRequest? body, HttpContext context, FlowkitDbContext db, AuditLog audit, TimeProvider time, CancellationToken cancellationToken)
    {
        var grace = body?.GraceSeconds ?? 0;
        if (grace is < 0 or > MaxGraceSeconds)
        {
            return Problems.Problems.Validation("$.graceSeconds", $"graceSeconds is from 0 (the old secret stops at once) to {MaxGraceSeconds} (a day); it is {grace}.");
        }

        var workspace = Workspaces.Of(context);
        var now = time.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var row = await db.ApiKeys
            .FromSql($"SELECT * FROM api_keys WHERE id = {id} AND workspace = {workspace} FOR UPDATE")
            .SingleOrDefaultAsync(cancellationToken);
        if (row is null)
        {
            return Problems.Problems.NotFound($"There is no API key {id}.");
        }

        if (row.RevokedAt is not null)
        {
            return Problems.Problems.Conflict($"API key {id} ('{row.Name}') is revoked; a revoked key cannot be rotated. Create a new one.");
        }

        var key = ApiKeys.Generate();
        var before = new { row.Name, row.Role, row.Prefix };
        // A second rotation inside a grace period ends the first one's: only the secret just replaced keeps working.
        row.PreviousHash = grace > 0 ? row.Hash : null;
        row.PreviousValidUntil = grace > 0 ? now.AddSeconds(grace) : null;
        row.Hash = ApiKeys.Hash(key);
        row.Prefix = ApiKeys.Display(key);
        row.RotatedAt = now;
        audit.Record(context, AuditActions.KeyRotate, $"key/{row.Id}", before, new { row.Name, row.Role, row.Prefix, graceSeconds = grace });
        await db.SaveChangesAsync(cancellationToken);
        // The new secret is shown only in this answer: once written, finish even if the caller has gone.
        await transaction.CommitAsync(CancellationToken.None);
        return TypedResults.Ok(new CreatedApiKeyResponse(row.Id, row.Name, row.Workspace, row.Prefix, row.Role, row.CreatedAt, key)
        {
            PreviousValidUntil = row.PreviousValidUntil,
        });
    }

    internal static async Task<Results<Ok<OwnApiKeyResponse>, ProblemHttpResult>> MeAsync(
        HttpContext context, FlowkitDbContext db, CancellationToken cancellationToken)
    {
        var role = context.User.FindFirstValue(ApiKeyDefaults.RoleClaim) ?? "";
        var permissions = ApiKeyRoles.PermissionsOf(role).Select(p => p.Name()).ToArray();
        Guid? id = Guid.TryParse(context.User.FindFirstValue(ApiKeyDefaults.KeyIdClaim), out var keyId) ? keyId : null;
        var prefix = id is null ? null : await db.ApiKeys.AsNoTracking().Where(k => k.Id == id).Select(k => k.Prefix).SingleOrDefaultAsync(cancellationToken);
        return TypedResults.Ok(new OwnApiKeyResponse(id, Workspaces.Caller(context), Workspaces.Of(context), prefix, role, permissions));
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> RevokeAsync(
        Guid id, HttpContext context, FlowkitDbContext db, AuditLog audit, TimeProvider time, CancellationToken cancellationToken)
    {
        var workspace = Workspaces.Of(context);
        var now = time.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var revoked = await db.ApiKeys
            .Where(k => k.Id == id && k.Workspace == workspace && k.RevokedAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(k => k.RevokedAt, now), cancellationToken);
        if (revoked > 0)
        {
            var key = await db.ApiKeys.AsNoTracking().Where(k => k.Id == id).Select(k => new { k.Name, k.Role, k.Prefix }).SingleAsync(cancellationToken);
            audit.Record(context, AuditActions.KeyRevoke, $"key/{id}", key, new { revoked = true });
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(CancellationToken.None);
            return TypedResults.NoContent();
        }

        return await db.ApiKeys.AnyAsync(k => k.Id == id && k.Workspace == workspace, cancellationToken)
            ? TypedResults.NoContent()
            : Problems.Problems.NotFound($"There is no API key {id}.");
    }

    /// <summary>The configured bootstrap key: the one caller that is no stored key (it has no key id).</summary>
    private static bool IsBootstrap(HttpContext context) =>
        context.User.FindFirstValue(ApiKeyDefaults.KeyIdClaim) is null
        && context.User.FindFirstValue(ClaimTypes.Name) == ApiKeyDefaults.BootstrapName
        && context.User.FindFirstValue(ApiKeyDefaults.WorkspaceClaim) == Workspaces.Default;

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "...";

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex WorkspacePattern();
}

/// <summary>Body of POST /api/v1/keys.</summary>
/// <param name="Name">A name for the key, unique in its workspace; recorded as the caller of what the key does.</param>
/// <param name="Workspace">The workspace the key belongs to; the caller's when omitted. Only the bootstrap key may name another, and only a new one (it is created).</param>
/// <param name="Role">What the key may do: admin (default), editor, operator, approver or viewer (docs/security.md).</param>
public sealed record CreateApiKeyRequest(string? Name, string? Workspace, string? Role = null);

/// <summary>A new key. <paramref name="Key"/> is shown here only: store it now.</summary>
/// <param name="Id">The key's id, for revoking it.</param>
/// <param name="Name">Its name.</param>
/// <param name="Workspace">The workspace it acts in.</param>
/// <param name="Role">What it may do: admin, editor, operator, approver or viewer.</param>
/// <param name="CreatedAt">When it was made.</param>
/// <param name="Prefix">The start of the key, as lists show it.</param>
/// <param name="Key">The key to send as <c>Authorization: Bearer &lt;key&gt;</c>.</param>
public sealed record CreatedApiKeyResponse(Guid Id, string Name, string Workspace, string Prefix, string Role, DateTimeOffset CreatedAt, string Key)
{
    /// <summary>After a rotation with a grace period: until when the previous secret still works.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public DateTimeOffset? PreviousValidUntil { get; init; }
}

/// <summary>A key as lists show it: never the key itself.</summary>
public sealed record ApiKeyResponse(
    Guid Id, string Name, string Workspace, string Prefix, string Role, string CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt, DateTimeOffset? RotatedAt = null)
{
    internal static ApiKeyResponse From(ApiKeyRow row) =>
        new(row.Id, row.Name, row.Workspace, row.Prefix, row.Role, row.CreatedBy, row.CreatedAt, row.RevokedAt, row.RotatedAt);
}
