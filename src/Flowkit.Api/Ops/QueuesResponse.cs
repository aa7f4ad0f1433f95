namespace Flowkit.Api.Ops;

/// <summary>GET /api/v1/ops/queues: every queue of Flowkit's virtual host, by name.</summary>
public sealed record QueuesResponse(IReadOnlyList<QueueReport> Queues);
