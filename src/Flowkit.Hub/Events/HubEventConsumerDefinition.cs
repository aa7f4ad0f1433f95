using Flowkit.Contracts;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Flowkit.Hub.Events;

/// <summary>
/// The hub's own queue of lifecycle events (<c>flowkit-hub-events</c>), bound to the RunTimelineAppended exchange:
/// the hub sees every event however many hub processes run, each batch once. Infrastructure faults are retried without
/// limit as on the engine; anything else that fails every time ends in <c>flowkit-hub-events_error</c>.
/// </summary>
internal sealed class HubEventConsumerDefinition : ConsumerDefinition<HubEventConsumer>
{
    public HubEventConsumerDefinition(IOptions<HubOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        EndpointName = HubQueues.Events;
        ConcurrentMessageLimit = options.Value.EventConcurrencyLimit;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<HubEventConsumer> consumerConfigurator, IRegistrationContext context)
    {
        ArgumentNullException.ThrowIfNull(endpointConfigurator);
        HubRetry.Configure(endpointConfigurator);
    }
}
