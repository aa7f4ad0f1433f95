namespace Flowkit.Api.Auth;

/// <summary>The calling key, as GET /api/v1/keys/me shows it.</summary>
/// <param name="Id">The key's id; null for the configured bootstrap key.</param>
/// <param name="Name">Its name (<c>bootstrap</c> for the configured key).</param>
/// <param name="Workspace">The workspace it acts in.</param>
/// <param name="Prefix">The start of the key (null for the bootstrap key).</param>
/// <param name="Role">Its role.</param>
/// <param name="Permissions">The permissions the role grants: read, approve, run, operate, edit, govern.</param>
public sealed record OwnApiKeyResponse(Guid? Id, string Name, string Workspace, string? Prefix, string Role, IReadOnlyList<string> Permissions);
