namespace Flowkit.Api.Ops;

/// <summary>POST /api/v1/ops/dead-letters/{queue}/redrive, optional body: move at most <see cref="Max"/> messages (default all).</summary>
public sealed record RedriveRequest(int? Max);
