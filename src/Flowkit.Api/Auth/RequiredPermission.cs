namespace Flowkit.Api.Auth;

/// <summary>Endpoint metadata: the permission a key needs to call the endpoint (docs/security.md).</summary>
/// <param name="Permission">The permission.</param>
public sealed record RequiredPermission(Permission Permission);
