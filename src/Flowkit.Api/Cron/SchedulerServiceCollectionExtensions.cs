using Flowkit.Api.Cron;
using Flowkit.Api.Triggers;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Quartz;

namespace Microsoft.Extensions.DependencyInjection;

public static class SchedulerServiceCollectionExtensions
{
    /// <summary>
    /// The <c>scheduler</c> role: Quartz with its ADO job store in PostgreSQL (tables <c>qrtz_*</c>, created by our
    /// migration 20261123000401), clustered, so any number of scheduler processes fire each cron time once; and the
    /// reconciler that keeps its triggers equal to the latest workflow versions. The role needs the database and the
    /// outbox relay (each fire writes a run and its StartRun message).
    /// </summary>
    public static IServiceCollection AddFlowkitScheduler(this IServiceCollection services, string connectionString, IConfiguration configuration)
    {
        var settings = configuration.GetSection(SchedulerOptions.Section).Get<SchedulerOptions>() ?? new SchedulerOptions();
        services.AddOptions<SchedulerOptions>().BindConfiguration(SchedulerOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<TriggerCatalog>();
        services.TryAddSingleton<CronSignal>();
        // A fire refused by the workspace's run quota is counted (flowkit.runs.over_quota) as well as logged.
        services.AddMetrics();
        services.TryAddSingleton<Flowkit.Api.Ingress.IngressMetrics>();
        services.AddTransient<CronFireJob>();
        services.AddQuartz(q =>
        {
            q.ConfigureScheduler(s => s.InstanceName = "flowkit");
            q.UseDefaultThreadPool(settings.Threads);
            q.UsePersistentStore(store =>
            {
                store.UsePostgres(connectionString);
                store.UseSystemTextJsonSerializer();
                store.UseClustering(c =>
                {
                    c.CheckinInterval = settings.CheckinInterval;
                    c.CheckinMisfireThreshold = settings.CheckinInterval * 4;
                });
                store.ConfigureStore(o =>
                {
                    o.TablePrefix = "qrtz_";
                    o.StoreJobDataAsStrings = true;
                    o.MisfireThreshold = settings.MisfireThreshold;
                });
            });
        });
        services.AddHostedService<CronReconciler>();
        return services;
    }
}
