using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Encodings.Web;
using Flowkit.Api.Problems;
using Flowkit.Persistence;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Flowkit.Api.Auth;

/// <summary>Names used by API-key authentication.</summary>
internal static class ApiKeyDefaults
{
    /// <summary>The authentication scheme (the Authorization header's scheme too).</summary>
    public const string Scheme = "Bearer";

    /// <summary>The authorization policy every endpoint under /api carries.</summary>
    public const string Policy = "flowkit-api-key";

    public const string WorkspaceClaim = "flowkit:workspace";
    public const string RoleClaim = "flowkit:role";
    public const string KeyIdClaim = "flowkit:key_id";

    public const string AdminRole = ApiKeyRoles.Admin;

    /// <summary>The caller name of the configured bootstrap key.</summary>
    public const string BootstrapName = "bootstrap";

    public static IServiceCollection AddFlowkitApiAuthentication(this IServiceCollection services)
    {
        services.AddOptions<AuthOptions>()
            .BindConfiguration(AuthOptions.Section)
            .PostConfigure<IHostEnvironment>((options, environment) =>
            {
                if (environment.IsDevelopment() && string.IsNullOrWhiteSpace(options.BootstrapKey))
                {
                    options.BootstrapKey = AuthOptions.DevelopmentBootstrapKey;
                }
            })
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<AuthOptions>, AuthOptionsValidator>();
        // Any bytes in an Authorization header are just a wrong key: decode it so that it reaches the handler (#18).
        services.Configure<KestrelServerOptions>(kestrel =>
        {
            var previous = kestrel.RequestHeaderEncodingSelector;
            kestrel.RequestHeaderEncodingSelector = name =>
                string.Equals(name, HeaderNames.Authorization, StringComparison.OrdinalIgnoreCase) ? AuthorizationHeaderEncoding.Instance : previous(name);
        });
        services.AddAuthentication().AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(Scheme, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(Policy, policy => policy.AddAuthenticationSchemes(Scheme).RequireAuthenticatedUser().AddRequirements(PermissionRequirement.Instance));
        services.AddSingleton<Microsoft.AspNetCore.Authorization.IAuthorizationHandler, PermissionHandler>();
        return services;
    }
}

/// <summary>
/// Authenticates <c>Authorization: Bearer &lt;api key&gt;</c>: the configured bootstrap key (admin of <c>default</c>)
/// or a stored key found by its SHA-256 hash. On success the request acts in the key's workspace, as the key's name.
/// Missing or bad keys are challenged with a 401 problem.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IOptions<AuthOptions> auth,
    FlowkitDbContext db,
    TimeProvider time,
    IProblemDetailsService problems)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    private const string MissingKey = "This endpoint needs an API key: send 'Authorization: Bearer <api key>'.";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (header.Length == 0)
        {
            return AuthenticateResult.NoResult();
        }

        if (!ApiKeys.TryReadBearer(header, out var key))
        {
            return AuthenticateResult.Fail("The Authorization header must be 'Bearer <api key>'.");
        }

        var hash = ApiKeys.Hash(key);
        var now = time.GetUtcNow();
        // A rotated key's previous secret still authenticates during the rotation's grace period (docs/security.md).
        var caller = IsBootstrap(hash)
            ? new Caller(Workspaces.Default, ApiKeyDefaults.BootstrapName, ApiKeyDefaults.AdminRole, null)
            : await db.ApiKeys.AsNoTracking()
                .Where(k => (k.Hash == hash || (k.PreviousHash == hash && k.PreviousValidUntil > now)) && k.RevokedAt == null)
                .Select(k => new Caller(k.Workspace, k.Name, k.Role, k.Id))
                .SingleOrDefaultAsync(Context.RequestAborted);
        if (caller is null)
        {
            return AuthenticateResult.Fail("The API key is not valid: it is unknown or has been revoked.");
        }

        var claims = new List<Claim>
        {
            new(ClaimTypes.Name, caller.Name),
            new(ApiKeyDefaults.WorkspaceClaim, caller.Workspace),
            new(ApiKeyDefaults.RoleClaim, caller.Role),
        };
        if (caller.KeyId is { } id)
        {
            claims.Add(new Claim(ApiKeyDefaults.KeyIdClaim, id.ToString()));
        }

        Workspaces.Set(Context, caller.Workspace);
        Workspaces.SetCaller(Context, caller.Name);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, Scheme.Name)), Scheme.Name));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        // RFC 6750 section 3: name the scheme, and say the token was rejected when one was sent.
        Response.Headers.WWWAuthenticate = result.Failure is null ? "Bearer" : "Bearer error=\"invalid_token\"";
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = new ProblemDetails
            {
                Type = ProblemTypes.Unauthorized,
                Title = "Unauthorized.",
                Status = StatusCodes.Status401Unauthorized,
                Detail = result.Failure?.Message ?? MissingKey,
            },
        });
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        // Refused by PermissionHandler: say which permission the endpoint needs and which roles grant it.
        var required = Context.GetEndpoint()?.Metadata.GetMetadata<RequiredPermission>();
        var role = Context.User.FindFirst(ApiKeyDefaults.RoleClaim)?.Value ?? "none";
        var problem = new ProblemDetails
        {
            Type = ProblemTypes.Forbidden,
            Title = "Forbidden.",
            Status = StatusCodes.Status403Forbidden,
            Detail = required is null
                ? "This endpoint declares no permission, so no key may call it (a server fault: see docs/security.md)."
                : $"This needs permission '{required.Permission.Name()}', which role '{role}' does not have; roles that have it: "
                    + $"{string.Join(", ", ApiKeyRoles.All.Where(r => ApiKeyRoles.Grants(r, required.Permission)))}.",
        };
        problem.Extensions["permission"] = required?.Permission.Name();
        problem.Extensions["role"] = role;
        Response.StatusCode = StatusCodes.Status403Forbidden;
        await problems.WriteAsync(new ProblemDetailsContext { HttpContext = Context, ProblemDetails = problem });
    }

    private bool IsBootstrap(byte[] hash) =>
        auth.Value.BootstrapKey is { Length: > 0 } bootstrap
        && CryptographicOperations.FixedTimeEquals(hash, ApiKeys.Hash(bootstrap));

    private sealed record Caller(string Workspace, string Name, string Role, Guid? KeyId);
}
