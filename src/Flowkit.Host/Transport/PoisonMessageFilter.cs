using MassTransit;

namespace Flowkit.Host.Transport;

/// <summary>
/// First filter of every receive endpoint's error pipe: a message that is about to be moved to the endpoint's
/// <c>_error</c> queue (a poison message: deserialization failed, or a consumer threw something that is not an
/// infrastructure fault) is logged with the reason (event 4001) and counted (<c>flowkit.dead_letters</c>), then the
/// default fault and move follow. Operators list and redrive them with the ops API (docs/operations.md).
/// </summary>
internal sealed class PoisonMessageFilter(DeadLetterMetrics metrics, ILogger<PoisonMessageFilter> logger) : IFilter<ExceptionReceiveContext>
{
    public Task Send(ExceptionReceiveContext context, IPipe<ExceptionReceiveContext> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var queue = context.InputAddress.AbsolutePath.Trim('/').Split('/')[^1];
        var messageId = context.TransportHeaders.Get<string>("MessageId") ?? context.GetMessageId()?.ToString() ?? "unknown";
        var messageType = context.TryGetPayload(out ConsumeContext? consume) ? string.Join(", ", consume.SupportedMessageTypes) : "not deserialized";
        var exception = context.Exception;
        Log.DeadLettered(logger, queue, messageId, messageType, exception.GetType().Name, exception.Message);
        metrics.DeadLettered(queue, exception.GetType().Name);
        return next.Send(context);
    }

    public void Probe(ProbeContext context) => context?.CreateFilterScope("flowkit-dead-letters");
}
