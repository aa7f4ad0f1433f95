using Microsoft.AspNetCore.Authorization;

namespace Flowkit.Api.Auth;

/// <summary>The API key policy's second half: the key's role grants the permission the endpoint declares.</summary>
internal sealed class PermissionRequirement : IAuthorizationRequirement
{
    public static PermissionRequirement Instance { get; } = new();
}
