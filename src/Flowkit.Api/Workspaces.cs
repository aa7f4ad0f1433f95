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

    /// <summary>Who is calling, for the record: the API key's name (<c>bootstrap</c> for the configured key).</summary>
    public static string Caller(HttpContext context) =>
        context.Items.TryGetValue(CallerKey, out var value) && value is string caller ? caller : "api";

    public static void SetCaller(HttpContext context, string caller) => context.Items[CallerKey] = caller;

    private const string CallerKey = "flowkit.caller";
}
