using Flowkit.Engine;
using Flowkit.Sagas;
using Flowkit.Sagas.Activities;
using MassTransit;

namespace Microsoft.Extensions.DependencyInjection;

public static class EngineServiceCollectionExtensions
{
    /// <summary>The engine role's services: the run driver, the saga's activity and what it evaluates.</summary>
    public static IServiceCollection AddFlowkitEngine(this IServiceCollection services)
    {
        services.AddOptions<EngineOptions>().BindConfiguration(EngineOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddScoped<RunDriver>();
        services.AddScoped(typeof(RunActivity<>));
        services.AddSingleton<IEngineExpressions, EngineExpressions>();
        services.AddFlowkitTimeoutSweeper();
        return services;
    }

    /// <summary>Registers the run saga with Flowkit's PostgreSQL repository.</summary>
    public static void AddFlowkitEngineSagas(this IBusRegistrationConfigurator bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        bus.AddSagaStateMachine<RunStateMachine, RunState>(typeof(RunStateMachineDefinition)).UseFlowkitRunRepository();
    }
}
