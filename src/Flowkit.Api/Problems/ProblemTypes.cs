namespace Flowkit.Api.Problems;

/// <summary>The stable <c>type</c> URIs of Flowkit's RFC 9457 problem details.</summary>
public static class ProblemTypes
{
    private const string Base = "https://flowkit.dev/problems/";

    public const string Validation = Base + "validation";
    public const string NotFound = Base + "not-found";
    public const string Conflict = Base + "conflict";
    public const string UnsupportedMediaType = Base + "unsupported-media-type";
    public const string BadRequest = Base + "bad-request";
    public const string Unauthorized = Base + "unauthorized";
    public const string Forbidden = Base + "forbidden";
    public const string Internal = Base + "internal";
    public const string PayloadTooLarge = Base + "payload-too-large";
    public const string TooManyRequests = Base + "too-many-requests";
    public const string Unavailable = Base + "unavailable";

    /// <summary>A callback URL that no longer takes calls: its step timed out or its run ended (issue #12).</summary>
    public const string Gone = Base + "gone";

    /// <summary>A <c>respond: result</c> webhook's run failed or was cancelled (docs/ingress.md section 1b).</summary>
    public const string RunFailed = Base + "run-failed";
}
