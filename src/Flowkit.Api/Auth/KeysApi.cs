using System.Security.Claims;
using System.Text.RegularExpressions;
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

    public static RouteGroupBuilder MapKeysApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/keys").WithTags("API keys");
        group.MapPost("/", CreateAsync)
            .WithName("CreateApiKey")
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .WithSummary("Create an API key; the answer is the only time the key is shown.")
            .WithDescription("The key belongs to the caller's workspace. Only the bootstrap key may name another 'workspace', and only a new one: it is created with this key (409 if it exists).");
        group.MapGet("/", ListAsync)
            .WithName("ListApiKeys")
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .WithSummary("The keys of the caller's workspace, newest first (never the keys themselves); page with limit and cursor.");
        group.MapDelete("/{id:guid}", RevokeAsync)
            .WithName("RevokeApiKey")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("Revoke a key of the caller's workspace: it stops authenticating at once. Revoking twice changes nothing (204).");
        return group;
    }

    internal static async Task<Results<Created<CreatedApiKeyResponse>, ProblemHttpResult>> CreateAsync(
        CreateApiKeyRequest? body, HttpContext context, FlowkitDbContext db, TimeProvider time, CancellationToken cancellationToken)
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

        if (errors.Count > 0)
        {
            return Problems.Problems.Validation($"The request has {errors.Count} problem(s).", errors);
        }

        if (context.User.FindFirstValue(ApiKeyDefaults.RoleClaim) != ApiKeyDefaults.AdminRole)
        {
            return Problems.Problems.Forbidden("Only admin keys create keys.");
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
            Role = ApiKeyDefaults.AdminRole,
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

    internal static async Task<Results<NoContent, ProblemHttpResult>> RevokeAsync(
        Guid id, HttpContext context, FlowkitDbContext db, TimeProvider time, CancellationToken cancellationToken)
    {
        var workspace = Workspaces.Of(context);
        var now = time.GetUtcNow();
        var revoked = await db.ApiKeys
            .Where(k => k.Id == id && k.Workspace == workspace && k.RevokedAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(k => k.RevokedAt, now), cancellationToken);
        return revoked == 0 && !await db.ApiKeys.AnyAsync(k => k.Id == id && k.Workspace == workspace, cancellationToken)
            ? Problems.Problems.NotFound($"There is no API key {id}.")
            : TypedResults.NoContent();
    }

    /// <summary>The configured bootstrap key: the one caller that is no stored key (it has no key id).</summary>
    private static bool IsBootstrap(HttpContext context) =>
        context.User.FindFirstValue(ApiKeyDefaults.KeyIdClaim) is null
        && context.User.FindFirstValue(ClaimTypes.Name) == ApiKeyDefaults.BootstrapName
        && context.User.FindFirstValue(ApiKeyDefaults.WorkspaceClaim) == Workspaces.Default;

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex WorkspacePattern();
}

/// <summary>Body of POST /api/v1/keys.</summary>
/// <param name="Name">A name for the key, unique in its workspace; recorded as the caller of what the key does.</param>
/// <param name="Workspace">The workspace the key belongs to; the caller's when omitted. Only the bootstrap key may name another, and only a new one (it is created).</param>
public sealed record CreateApiKeyRequest(string? Name, string? Workspace);

/// <summary>A new key. <paramref name="Key"/> is shown here only: store it now.</summary>
/// <param name="Id">The key's id, for revoking it.</param>
/// <param name="Name">Its name.</param>
/// <param name="Workspace">The workspace it acts in.</param>
/// <param name="Role">What it may do (v1: admin).</param>
/// <param name="CreatedAt">When it was made.</param>
/// <param name="Prefix">The start of the key, as lists show it.</param>
/// <param name="Key">The key to send as <c>Authorization: Bearer &lt;key&gt;</c>.</param>
public sealed record CreatedApiKeyResponse(Guid Id, string Name, string Workspace, string Prefix, string Role, DateTimeOffset CreatedAt, string Key);

/// <summary>A key as lists show it: never the key itself.</summary>
public sealed record ApiKeyResponse(Guid Id, string Name, string Workspace, string Prefix, string Role, string CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt)
{
    internal static ApiKeyResponse From(ApiKeyRow row) =>
        new(row.Id, row.Name, row.Workspace, row.Prefix, row.Role, row.CreatedBy, row.CreatedAt, row.RevokedAt);
}
