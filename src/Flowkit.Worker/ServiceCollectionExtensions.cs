using Flowkit.Contracts;
using Flowkit.Definitions.Expressions;
using Flowkit.Worker;
using Flowkit.Worker.Steps;
using Flowkit.Worker.Steps.Http;
using Flowkit.Worker.Steps.Notify;
using Flowkit.Worker.Steps.Script;
using MassTransit;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

public static class WorkerServiceCollectionExtensions
{
    /// <summary>The worker role: step executors and the <see cref="ExecuteStepConsumer"/>. Never touches the database.</summary>
    public static IServiceCollection AddFlowkitWorker(this IServiceCollection services)
    {
        services.AddOptions<WorkerOptions>().BindConfiguration(WorkerOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<ExpressionOptions>().BindConfiguration(ExpressionOptions.Section);
        services.TryAddSingleton(sp => new ExpressionEngine(sp.GetRequiredService<IOptions<ExpressionOptions>>().Value));
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.AddFlowkitSecrets();

        // At shutdown running steps get the grace period, then are cancelled and their messages requeued (see
        // ExecuteStepConsumer). MassTransit applies this to every consumer of the bus, which suits the engine too.
        services.AddOptions<MassTransitHostOptions>()
            .Configure<IOptions<WorkerOptions>>((host, worker) => host.ConsumerStopTimeout ??= worker.Value.ShutdownGracePeriod);

        services.TryAddSingleton<WorkerMetrics>();
        services.TryAddSingleton<StepExecutors>();
        services.TryAddSingleton<InFlightSteps>();
        services.TryAddSingleton<StepCancellations>();
        services.TryAddSingleton<StepReports>();
        services.AddFlowkitOutboundHttp();

        // The step types that run on workers; approval and delay wait in the engine. One line per type (docs/extending.md).
        services.AddStepExecutor<TransformStep>();
        services.AddStepExecutor<ConditionStep>();
        services.AddStepExecutor<HttpStep>();
        services.AddStepExecutor<NotifyStep>();
        services.AddStepExecutor<ScriptStep>();
        services.TryAddSingleton<Flowkit.Worker.Steps.Connector.OAuthTokens>();
        services.AddStepExecutor<Flowkit.Worker.Steps.Connector.ConnectorStep>();
        return services;
    }

    /// <summary>
    /// The outbound HTTP machinery that steps share and the integration hub reuses: options, the SSRF guard (loopback
    /// allowed only in Development unless configured), the pooled named client and <see cref="OutboundHttp"/>.
    /// </summary>
    public static IServiceCollection AddFlowkitOutboundHttp(this IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(OutboundHttp)))
        {
            // Worker and hub in one process: registered once.
            return services;
        }

        services.AddOptions<HttpStepOptions>().BindConfiguration(HttpStepOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<HttpStepOptions>, HttpStepOptionsValidator>());
        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<HttpStepOptions>>().Value;
            var loopback = options.AllowLoopback ?? sp.GetRequiredService<IHostEnvironment>().IsDevelopment();
            return new AddressPolicy(options, loopback);
        });
        services.TryAddSingleton<GuardedConnector>();
        services.AddHttpClient(OutboundHttp.ClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(sp => sp.GetRequiredService<GuardedConnector>().CreateHandler())
            // SocketsHttpHandler pools and recycles connections itself (PooledConnectionLifetime).
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan)
            // The default handlers log every URL at Information; step URLs can hold secrets (a Slack webhook URL is one).
            .RemoveAllLoggers();
        services.TryAddSingleton<OutboundHttp>();
        return services;
    }

    /// <summary>Adds a step type to the workers: <typeparamref name="TStep"/> runs every step whose <c>type</c> is its <see cref="IStepExecutor.Type"/>.</summary>
    public static IServiceCollection AddStepExecutor<TStep>(this IServiceCollection services)
        where TStep : class, IStepExecutor
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IStepExecutor, TStep>());
        return services;
    }

    /// <summary>Registers the consumer; <see cref="ConfigureWorkerEndpoints"/> binds it to one queue per step family.</summary>
    public static void AddFlowkitWorkerConsumers(this IBusRegistrationConfigurator bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        // It publishes through the bus, so it lives with the bus registration (step tests build the worker without one).
        bus.TryAddSingleton<PendingReports>();
        bus.AddConsumer<ExecuteStepConsumer>();
        bus.AddConsumer<StepCancellationConsumer>();
    }

    /// <summary>One receive endpoint per step family queue (<see cref="StepQueues"/>), each with the configured limits.</summary>
    public static void ConfigureWorkerEndpoints(this IBusFactoryConfigurator configurator, IBusRegistrationContext context, Action<IReceiveEndpointConfigurator>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(configurator);
        ArgumentNullException.ThrowIfNull(context);
        var options = context.GetRequiredService<IOptions<WorkerOptions>>().Value;
        foreach (var queue in StepQueues.All)
        {
            configurator.ReceiveEndpoint(queue, e =>
            {
                var limit = queue == StepQueues.Script ? Math.Min(options.ScriptConcurrencyLimit, options.ConcurrencyLimit) : options.ConcurrencyLimit;
                e.ConcurrentMessageLimit = limit;
                // Scripts are CPU bound: a worker holds no more than it runs, so an idle worker can take the rest.
                e.PrefetchCount = queue == StepQueues.Script ? limit : options.PrefetchCount;
                e.ConfigureConsumer<ExecuteStepConsumer>(context);
                configure?.Invoke(e);
            });
        }

        // Each worker process hears every cancellation on a queue of its own, deleted when it stops.
        configurator.ReceiveEndpoint(new TemporaryEndpointDefinition("flowkit-worker-cancellations"), e =>
        {
            e.ConfigureConsumer<StepCancellationConsumer>(context);
            configure?.Invoke(e);
        });
    }
}
