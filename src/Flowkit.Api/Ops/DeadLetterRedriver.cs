using Microsoft.Extensions.Configuration;
using RabbitMQ.Client;

namespace Flowkit.Api.Ops;

/// <summary>
/// Moves the messages of an error queue (<c>{queue}_error</c>) back to their queue over AMQP, one at a time: get
/// (unacknowledged), publish to the queue with a publisher confirm, then acknowledge the copy in the error queue. A
/// message is never dropped (until the confirm it stays in the error queue, and a failure hands it back); a crash
/// between the confirm and the acknowledgement can leave a second copy, which carries the same MessageId, so the run
/// saga's inbox drops it (a worker step runs at least once with the same idempotency key). Only the messages present
/// when the redrive starts are moved, so a message that fails again is not redriven in a loop.
/// </summary>
public sealed class DeadLetterRedriver(IConfiguration configuration)
{
    /// <summary>Headers MassTransit adds when it moves a message to the error queue; the redriven copy starts clean.</summary>
    private static readonly string[] FaultHeaderPrefixes = ["MT-Fault-", "MT-Reason"];

    public async Task<(int Redriven, uint Remaining)> RedriveAsync(string queue, int? max, CancellationToken cancellationToken)
    {
        var amqp = configuration.GetConnectionString("RabbitMq") ?? throw new InvalidOperationException("ConnectionStrings:RabbitMq is not set.");
        var factory = new ConnectionFactory { Uri = new Uri(amqp), ClientProvidedName = "flowkit-redrive" };
        await using var connection = await factory.CreateConnectionAsync(cancellationToken);
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), cancellationToken);
        var errorQueue = DeadLetters.ErrorQueue(queue);
        var present = Math.Min((await channel.QueueDeclarePassiveAsync(errorQueue, cancellationToken)).MessageCount, (uint)(max ?? int.MaxValue));
        var redriven = 0;
        for (var i = 0; i < present; i++)
        {
            var message = await channel.BasicGetAsync(errorQueue, autoAck: false, cancellationToken);
            if (message is null)
            {
                break;
            }

            var properties = new BasicProperties(message.BasicProperties);
            if (properties.Headers is { } headers)
            {
                foreach (var key in headers.Keys.Where(k => FaultHeaderPrefixes.Any(p => k.StartsWith(p, StringComparison.Ordinal))).ToList())
                {
                    headers.Remove(key);
                }
            }

            // The default exchange routes by queue name; mandatory: a queue that is gone fails the publish, not the message.
            await channel.BasicPublishAsync(string.Empty, queue, mandatory: true, properties, message.Body, cancellationToken);
            await channel.BasicAckAsync(message.DeliveryTag, multiple: false, cancellationToken);
            redriven++;
        }

        var remaining = (await channel.QueueDeclarePassiveAsync(errorQueue, cancellationToken)).MessageCount;
        return (redriven, remaining);
    }
}
