using Microsoft.AspNetCore.Http;

namespace Flowkit.Api;

/// <summary>The workspace a request acts in, set by authentication from the caller's API key.</summary>
internal static class Workspaces
{
    public const string Default = "default";
    private const string ItemKey = "flowkit.workspace";

    public static string Of(HttpContext context) =>
        context.Items.TryGetValue(ItemKey, out var value) && value is string workspace ? workspace : Default;

    public static void Set(HttpContext context, string workspace) => context.Items[ItemKey] = workspace;
}
