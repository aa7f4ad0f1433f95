namespace Flowkit.Chaos;

/// <summary>A run Flowkit answered 2xx for, and the status it must end in (the one it would have without faults).</summary>
public sealed record AcceptedRun(Guid RunId, string Kind, string Expected, bool Approve, string? HookKey = null);
