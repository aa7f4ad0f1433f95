using Flowkit.Contracts;
using Flowkit.Definitions.Expressions;
using Flowkit.Worker;
using Flowkit.Worker.Steps;
using MassTransit;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

public static class WorkerServiceCollectionExtensions
{
    /// <summary>The worker role: step executors and the <see cref="ExecuteStepConsumer"/>. Never touches the database.</summary>
    public static IServiceCollection AddFlowkitWorker(this IServiceCollection services)
    {
        services.AddOptions<WorkerOptions>().BindConfiguration(WorkerOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<ExpressionOptions>().BindConfiguration(ExpressionOptions.Section);
        services.TryAddSingleton(sp => new ExpressionEngine(sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<ExpressionOptions>>().Value));
        services.AddSingleton<StepExecutors>();
        services.AddSingleton<IStepExecutor, TransformStep>();
        services.AddSingleton<IStepExecutor, ConditionStep>();
        return services;
    }

    /// <summary>Registers the consumer; <see cref="ConfigureWorkerEndpoints"/> binds it to one queue per step family.</summary>
    public static void AddFlowkitWorkerConsumers(this IBusRegistrationConfigurator bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        bus.AddConsumer<ExecuteStepConsumer>();
    }

    /// <summary>One receive endpoint per step family queue (<see cref="StepQueues"/>), each with the configured limits.</summary>
    public static void ConfigureWorkerEndpoints(this IBusFactoryConfigurator configurator, IBusRegistrationContext context)
    {
        ArgumentNullException.ThrowIfNull(configurator);
        ArgumentNullException.ThrowIfNull(context);
        var options = context.GetRequiredService<Microsoft.Extensions.Options.IOptions<WorkerOptions>>().Value;
        foreach (var queue in StepQueues.All)
        {
            configurator.ReceiveEndpoint(queue, e =>
            {
                e.PrefetchCount = options.PrefetchCount;
                e.ConcurrentMessageLimit = options.ConcurrencyLimit;
                e.ConfigureConsumer<ExecuteStepConsumer>(context);
            });
        }
    }
}
