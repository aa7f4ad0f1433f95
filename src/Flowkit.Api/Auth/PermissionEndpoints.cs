using Microsoft.AspNetCore.Http;

namespace Microsoft.AspNetCore.Builder;

/// <summary>How an endpoint under /api says what it needs (issue #16).</summary>
public static class PermissionEndpoints
{
    /// <summary>
    /// Declares the permission a key needs to call the endpoint (and its 403 in the OpenAPI document). Every endpoint
    /// under /api must declare one: one without it is refused to every key, and the permission test
    /// (tests/Flowkit.IntegrationTests/PermissionMatrixTests.cs) fails.
    /// </summary>
    public static TBuilder RequirePermission<TBuilder>(this TBuilder builder, Flowkit.Api.Auth.Permission permission)
        where TBuilder : IEndpointConventionBuilder
    {
        return builder.WithMetadata(
            new Flowkit.Api.Auth.RequiredPermission(permission),
            new ProducesResponseTypeMetadata(StatusCodes.Status403Forbidden, typeof(Microsoft.AspNetCore.Mvc.ProblemDetails), ["application/problem+json"]));
    }
}
