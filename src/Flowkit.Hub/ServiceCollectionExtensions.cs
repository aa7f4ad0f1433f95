using Flowkit.Definitions.Expressions;
using Flowkit.Hub;
using Flowkit.Hub.Delivery;
using Flowkit.Hub.Destinations;
using Flowkit.Hub.Events;
using MassTransit;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

public static class HubServiceCollectionExtensions
{
    /// <summary>
    /// The integration hub role's services: the destination senders (over the workers' guarded HTTP machinery and
    /// SMTP), secrets, templates and metrics. Needs <c>AddFlowkitPersistence</c> (deliveries live in PostgreSQL).
    /// </summary>
    public static IServiceCollection AddFlowkitHub(this IServiceCollection services)
    {
        services.AddOptions<HubOptions>().BindConfiguration(HubOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<ExpressionOptions>().BindConfiguration(ExpressionOptions.Section);
        services.TryAddSingleton(sp => new ExpressionEngine(sp.GetRequiredService<IOptions<ExpressionOptions>>().Value));
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.AddFlowkitSecrets();
        services.AddFlowkitOutboundHttp();
        services.TryAddSingleton<HubMetrics>();
        services.TryAddSingleton<HttpPost>();
        services.AddScoped<DeliveryAttempts>();

        // The destination kinds; one line per kind (docs/integrations.md).
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IDestinationSender, SlackSender>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IDestinationSender, WebhookSender>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IDestinationSender, EmailSender>());
        services.TryAddEnumerable(ServiceDescriptor.Scoped<IDestinationSender, WorkflowSender>());
        return services;
    }

    /// <summary>The hub's consumers, each on its own queue (<see cref="Flowkit.Contracts.HubQueues"/>).</summary>
    public static void AddFlowkitHubConsumers(this IBusRegistrationConfigurator bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        bus.AddConsumer<HubEventConsumer, HubEventConsumerDefinition>();
        bus.AddConsumer<DeliverEventConsumer, DeliverEventConsumerDefinition>();
    }
}
