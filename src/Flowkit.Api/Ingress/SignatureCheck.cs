namespace Flowkit.Api.Ingress;

/// <summary>What <see cref="WebhookDelivery.CheckSignature"/> found in <c>X-Flowkit-Signature</c>.</summary>
internal enum SignatureCheck
{
    /// <summary>Signed with the hook's secret (and, timestamped, within the tolerance window).</summary>
    Valid,

    /// <summary>No header.</summary>
    Missing,

    /// <summary>Unreadable, or signed with another secret or over other bytes.</summary>
    Mismatch,

    /// <summary>Signed correctly, but its time is further from now than the tolerance: a late replay, or a bad clock.</summary>
    OutsideTolerance,

    /// <summary>A plain <c>sha256=</c> signature on a hook that requires the timestamped scheme.</summary>
    TimestampRequired,
}
