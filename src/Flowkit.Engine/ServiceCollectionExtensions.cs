using Flowkit.Engine;
using Flowkit.Engine.Outbox;
using Flowkit.Engine.Timeouts;
using Flowkit.Engine.Watchdog;
using Flowkit.Sagas;
using MassTransit;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

public static class EngineServiceCollectionExtensions
{
    /// <summary>
    /// The engine role's services: the run driver, the saga's activity and what it evaluates, the timeout sweeper
    /// and the watchdog.
    /// </summary>
    public static IServiceCollection AddFlowkitEngine(this IServiceCollection services)
    {
        services.AddOptions<EngineOptions>().BindConfiguration(EngineOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddFlowkitRunSaga();
        services.AddSingleton<IEngineExpressions, EngineExpressions>();
        services.RequireFlowkitSecretsKey(); // callback URLs are keyed from it (docs/security.md, Callback URLs)
        services.TryAddSingleton<EngineMetrics>();
        services.AddFlowkitTimeoutSweeper();
        services.AddHostedService<RunWatchdog>();
        return services;
    }

    /// <summary>
    /// The outbox relay and the inbox cleanup: every process that writes outbox rows (API, engine) runs them.
    /// </summary>
    public static IServiceCollection AddFlowkitOutboxRelay(this IServiceCollection services)
    {
        services.TryAddSingleton<EngineMetrics>();
        services.AddHostedService<OutboxRelay>();
        services.AddHostedService<InboxCleanup>();
        return services;
    }

    /// <summary>The engine's timeout sweeper: passed attempt deadlines become StepTimedOut messages.</summary>
    public static IServiceCollection AddFlowkitTimeoutSweeper(this IServiceCollection services)
    {
        services.AddOptions<SweeperOptions>().BindConfiguration(SweeperOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddHostedService<TimeoutSweeper>();
        return services;
    }

    /// <summary>Registers the run saga with Flowkit's PostgreSQL repository.</summary>
    public static void AddFlowkitEngineSagas(this IBusRegistrationConfigurator bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        bus.AddSagaStateMachine<RunStateMachine, RunState>(typeof(RunStateMachineDefinition)).UseFlowkitRunRepository();
    }
}
