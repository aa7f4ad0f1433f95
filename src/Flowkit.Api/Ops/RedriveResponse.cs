namespace Flowkit.Api.Ops;

/// <summary>POST /api/v1/ops/dead-letters/{queue}/redrive: how many moved, how many are left (arrived since, or failed again).</summary>
public sealed record RedriveResponse(string Queue, int Redriven, int Remaining);
