using Flowkit.Definitions;
using Flowkit.Definitions.Expressions;
using Flowkit.Persistence;
using Flowkit.Persistence.Outbox;
using Flowkit.Persistence.Sagas;
using Flowkit.Persistence.Secrets;
using Flowkit.Sagas;
using MassTransit;
using MassTransit.Configuration;
using MassTransit.Saga;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

public static class PersistenceServiceCollectionExtensions
{
    /// <summary>The database: <see cref="FlowkitDbContext"/> on PostgreSQL, scoped per request or message.</summary>
    public static IServiceCollection AddFlowkitPersistence(this IServiceCollection services, string connectionString)
    {
        services.AddSingleton<OutboxSignal>();
        services.AddSingleton<OutboxCommitInterceptor>();
        services.AddDbContext<FlowkitDbContext>((sp, o) =>
        {
            ConfigureDbContext(o, connectionString);
            o.AddInterceptors(sp.GetRequiredService<OutboxCommitInterceptor>());
        });
        services.AddOptions<OutboxOptions>().BindConfiguration(OutboxOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddScoped<IOutbox, EfOutbox>();
        services.AddScoped<IConcurrencySlots, ConcurrencySlots>();
        services.AddScoped<Flowkit.Persistence.Runs.RunLauncher>();
        services.AddScoped<Flowkit.Persistence.Runs.RunReruns>();
        // RunLauncher reads PublishLifecycleEvents in every role that starts runs, not only where the engine runs.
        services.AddOptions<EngineOptions>().BindConfiguration(EngineOptions.Section);
        services.AddOptions<Flowkit.Persistence.Runs.RunQuotaOptions>().BindConfiguration(Flowkit.Persistence.Runs.RunQuotaOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<ExpressionOptions>().BindConfiguration(ExpressionOptions.Section);
        services.TryAddSingleton(sp => new ExpressionEngine(sp.GetRequiredService<IOptions<ExpressionOptions>>().Value));
        services.TryAddSingleton<DefinitionCompiler>();
        services.AddSingleton<PlanCache>();
        services.AddScoped<IRunStore, RunStore>();
        services.AddScoped<IRunCallbacks, Flowkit.Persistence.Callbacks.RunCallbacks>();
        services.AddFlowkitCallbackTokens(); // what RunCallbacks makes URLs with (every role that has the database)
        services.AddScoped<SecretStore>();
        return services;
    }

    internal static void ConfigureDbContext(DbContextOptionsBuilder options, string connectionString) =>
        options
            .UseNpgsql(connectionString, npgsql => npgsql.MigrationsHistoryTable("__migrations"))
            // The migrations are hand-written SQL without a model snapshot (docs/adr/0002), so EF cannot diff the
            // model against them; the migration tests check that the model matches the schema instead.
            .ConfigureWarnings(w => w.Ignore(RelationalEventId.PendingModelChangesWarning));

    /// <summary>Registers the run saga's PostgreSQL repository (row lock per run) on a saga registration.</summary>
    public static void UseFlowkitRunRepository(this ISagaRegistrationConfigurator<RunState> saga)
    {
        ArgumentNullException.ThrowIfNull(saga);
        saga.Repository(r =>
        {
            r.RegisterSagaRepository<RunState, FlowkitDbContext, SagaConsumeContextFactory<FlowkitDbContext, RunState>, RunSagaRepository>();
            r.RegisterLoadSagaRepository<RunState, RunSagaRepository>();
            r.RegisterQuerySagaRepository<RunState, RunSagaRepository>();
        });
    }
}
