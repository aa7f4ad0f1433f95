using Flowkit.Engine;
using Flowkit.Sagas;
using Flowkit.Sagas.Activities;
using MassTransit;

namespace Microsoft.Extensions.DependencyInjection;

public static class EngineServiceCollectionExtensions
{
    /// <summary>The engine role's services: the run driver and the saga's activities.</summary>
    public static IServiceCollection AddFlowkitEngine(this IServiceCollection services)
    {
        services.AddScoped<RunDriver>();
        services.AddScoped<StartRunActivity>();
        services.AddScoped<AdvanceRunActivity>();
        return services;
    }

    /// <summary>Registers the run saga with Flowkit's PostgreSQL repository.</summary>
    public static void AddFlowkitEngineSagas(this IBusRegistrationConfigurator bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        bus.AddSagaStateMachine<RunStateMachine, RunState>(typeof(RunStateMachineDefinition)).UseFlowkitRunRepository();
    }
}
