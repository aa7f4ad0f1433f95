using System.Collections.Frozen;

namespace Flowkit.Api.Auth;

/// <summary>
/// The roles an API key can have and the permissions each grants (docs/security.md, "Roles"). This table and the
/// permission each endpoint declares are the whole of the access rules; <see cref="PermissionHandler"/> applies them.
/// </summary>
public static class ApiKeyRoles
{
    public const string Admin = "admin";
    public const string Editor = "editor";
    public const string Operator = "operator";
    public const string Approver = "approver";
    public const string Viewer = "viewer";

    private static readonly FrozenDictionary<string, FrozenSet<Permission>> Table = new Dictionary<string, FrozenSet<Permission>>(StringComparer.Ordinal)
    {
        [Viewer] = FrozenSet.Create(Permission.Read),
        // Deciding is kept apart from running and editing: a key that can change or start a workflow cannot also
        // approve its runs (separation of duties); admin keeps every right.
        [Approver] = FrozenSet.Create(Permission.Read, Permission.Approve),
        [Operator] = FrozenSet.Create(Permission.Read, Permission.Run, Permission.Operate),
        [Editor] = FrozenSet.Create(Permission.Read, Permission.Run, Permission.Operate, Permission.Edit),
        [Admin] = FrozenSet.Create(Enum.GetValues<Permission>()),
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>Every role, from most to least powerful.</summary>
    public static IReadOnlyList<string> All { get; } = [Admin, Editor, Operator, Approver, Viewer];

    public static bool IsKnown(string? role) => role is not null && Table.ContainsKey(role);

    /// <summary>Whether <paramref name="role"/> grants <paramref name="permission"/>; an unknown role grants nothing.</summary>
    public static bool Grants(string? role, Permission permission) =>
        role is not null && Table.TryGetValue(role, out var permissions) && permissions.Contains(permission);

    /// <summary>The permissions of <paramref name="role"/>, in declaration order.</summary>
    public static IReadOnlyList<Permission> PermissionsOf(string role) =>
        [.. Enum.GetValues<Permission>().Where(p => Grants(role, p))];

    /// <summary>The name of a permission as the API, the OpenAPI document and the docs write it.</summary>
    public static string Name(this Permission permission) => permission.ToString().ToLowerInvariant();
}
