using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;

namespace Flowkit.Api.Auth;

/// <summary>
/// The one place access rules are applied (issue #16): an endpoint's <see cref="RequiredPermission"/> against the
/// caller's role (<see cref="ApiKeyRoles"/>). An endpoint that declares no permission is refused to every key, so a
/// new endpoint cannot be open by omission. A refusal is answered 403 by <see cref="ApiKeyAuthenticationHandler"/>,
/// naming the permission.
/// </summary>
internal sealed class PermissionHandler : AuthorizationHandler<PermissionRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, PermissionRequirement requirement)
    {
        var endpoint = context.Resource switch
        {
            HttpContext http => http.GetEndpoint(),
            Endpoint e => e,
            _ => null,
        };
        var required = endpoint?.Metadata.GetMetadata<RequiredPermission>();
        if (required is not null && ApiKeyRoles.Grants(context.User.FindFirst(ApiKeyDefaults.RoleClaim)?.Value, required.Permission))
        {
            context.Succeed(requirement);
        }

        return Task.CompletedTask;
    }
}
