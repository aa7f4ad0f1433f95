namespace Flowkit.Definitions.Secrets;

/// <summary>Where callback steps' URLs point (<c>{{ steps.&lt;id&gt;.callbackUrl }}</c>).</summary>
public sealed class CallbackOptions
{
    public const string Section = "Flowkit:Callbacks";

    /// <summary>
    /// The address other systems reach Flowkit's API at (through any proxy), without a trailing path; a callback URL
    /// is <c>{BaseUrl}/callbacks/{token}</c>. Default <c>http://127.0.0.1:8080</c>, the address of <c>make run</c>.
    /// </summary>
    public Uri BaseUrl { get; set; } = new("http://127.0.0.1:8080");

    /// <summary>The URL of a token.</summary>
    public string UrlFor(string token) => $"{BaseUrl.ToString().TrimEnd('/')}/callbacks/{token}";
}
