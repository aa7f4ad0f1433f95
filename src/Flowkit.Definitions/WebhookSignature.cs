namespace Flowkit.Definitions;

/// <summary>Which signatures a signed webhook accepts in <c>X-Flowkit-Signature</c> (docs/ingress.md, issue 19).</summary>
public enum WebhookSignature
{
    /// <summary>
    /// The timestamped scheme <c>t=&lt;unix&gt;,v1=&lt;hex&gt;</c> or the plain body HMAC <c>sha256=&lt;hex&gt;</c> (what
    /// senders like GitHub send). The plain one carries no time, so a captured delivery can be replayed later.
    /// </summary>
    Any,

    /// <summary>Only <c>t=&lt;unix&gt;,v1=&lt;hex HMAC-SHA256 of "&lt;t&gt;.&lt;raw body&gt;"&gt;</c> within the tolerance window.</summary>
    Timestamped,
}
