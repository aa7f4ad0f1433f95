namespace Flowkit.Api.Ops;

/// <summary>One queue of Flowkit's virtual host, as <c>GET /api/v1/ops/queues</c> reports it.</summary>
/// <param name="Name">The queue's name.</param>
/// <param name="Role">What the queue is for (docs/operations.md), or null for a queue Flowkit does not know (a bus's temporary queue).</param>
/// <param name="Messages">Every message in it: <paramref name="Ready"/> plus <paramref name="Unacknowledged"/>.</param>
/// <param name="Ready">Messages waiting for a consumer: the backlog.</param>
/// <param name="Unacknowledged">Messages delivered to a consumer and not yet acknowledged: in flight.</param>
/// <param name="Consumers">Consumers attached.</param>
/// <param name="PublishRate">Messages published into it per second, as the broker last measured it (0 when idle or unknown).</param>
/// <param name="DeliverRate">Messages delivered from it to consumers per second (0 when idle or unknown).</param>
public sealed record QueueReport(
    string Name, string? Role, int Messages, int Ready, int Unacknowledged, int Consumers, double PublishRate, double DeliverRate);
