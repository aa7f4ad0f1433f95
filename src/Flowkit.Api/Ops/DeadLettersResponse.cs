namespace Flowkit.Api.Ops;

/// <summary>GET /api/v1/ops/dead-letters: the total, and each error queue that holds messages.</summary>
public sealed record DeadLettersResponse(int Total, IReadOnlyList<DeadLetterQueue> Queues);
