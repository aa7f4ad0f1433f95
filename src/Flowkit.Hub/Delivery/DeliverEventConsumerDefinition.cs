using Flowkit.Contracts;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Flowkit.Hub.Delivery;

/// <summary>
/// The delivery queue (<c>flowkit-hub-deliveries</c>): one message per attempt, up to
/// <see cref="HubOptions.ConcurrencyLimit"/> at once per process. A failed attempt is data (its retry is a scheduled
/// message), so transport retry here covers infrastructure faults only.
/// </summary>
internal sealed class DeliverEventConsumerDefinition : ConsumerDefinition<DeliverEventConsumer>
{
    public DeliverEventConsumerDefinition(IOptions<HubOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        EndpointName = HubQueues.Deliveries;
        ConcurrentMessageLimit = options.Value.ConcurrencyLimit;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<DeliverEventConsumer> consumerConfigurator, IRegistrationContext context)
    {
        ArgumentNullException.ThrowIfNull(endpointConfigurator);
        HubRetry.Configure(endpointConfigurator);
    }
}
