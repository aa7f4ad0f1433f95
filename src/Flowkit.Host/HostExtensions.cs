using Flowkit.Api.Health;
using Flowkit.Api.Ops;
using Flowkit.Contracts;
using Flowkit.Host.Console;
using Flowkit.Host.Observability;
using Flowkit.Host.Transport;
using Flowkit.Persistence;
using MassTransit;
using MassTransit.Middleware;

namespace Flowkit.Host;

/// <summary>Composes the roles named in <c>Flowkit:Roles</c> into one host.</summary>
internal static class HostExtensions
{
    public static WebApplicationBuilder AddFlowkit(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(FlowkitHostOptions.Section).Get<FlowkitHostOptions>() ?? new FlowkitHostOptions();
        var services = builder.Services;
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(options);
        builder.AddFlowkitObservability(options);

        var postgres = builder.Configuration.GetConnectionString("Postgres");
        var usesDatabase = options.Has(Roles.Api) || options.Has(Roles.Engine) || options.Has(Roles.Scheduler) || options.Has(Roles.Hub);
        if (usesDatabase)
        {
            services.AddFlowkitPersistence(Required(postgres, "ConnectionStrings:Postgres"));
            services.AddFlowkitOutboxRelay();
        }

        if (options.Has(Roles.Api))
        {
            services.AddFlowkitApi();
            services.AddSingleton<DeadLetterRedriver>();
        }

        if (options.Has(Roles.Engine))
        {
            services.AddFlowkitEngine();
        }

        if (options.Has(Roles.Worker))
        {
            services.AddFlowkitWorker();
        }

        if (options.Has(Roles.Hub))
        {
            services.AddFlowkitHub();
        }

        if (options.Has(Roles.Scheduler))
        {
            services.AddFlowkitScheduler(Required(postgres, "ConnectionStrings:Postgres"), builder.Configuration);
        }

        List<string> consumed = [];
        if (options.Has(Roles.Engine))
        {
            consumed.Add(EngineQueues.Runs);
        }

        if (options.Has(Roles.Worker))
        {
            consumed.AddRange(StepQueues.All);
        }

        if (options.Has(Roles.Hub))
        {
            consumed.Add(HubQueues.Events);
            consumed.Add(HubQueues.Deliveries);
        }

        services.AddFlowkitHealth(database: usesDatabase, redis: options.Has(Roles.Api), consumedQueues: consumed);
        if (consumed.Count > 0)
        {
            services.AddOptions<TransportOptions>().BindConfiguration(TransportOptions.Section).ValidateDataAnnotations().ValidateOnStart();
            services.AddHostedService<ConsumerWatchdog>();
        }

        services.AddSingleton<DeadLetterMetrics>();
        services.AddSingleton<PoisonMessageFilter>();

        var rabbit = new Uri(Required(builder.Configuration.GetConnectionString("RabbitMq"), "ConnectionStrings:RabbitMq"));
        services.AddMassTransit(x =>
        {
            // MassTransit reports usage to its vendor over the internet by default; Flowkit calls no outside address.
            x.DisableUsageTelemetry();
            x.SetKebabCaseEndpointNameFormatter();
            x.AddConfigureEndpointsCallback((context, _, endpoint) => UseDeadLetterFilter(endpoint, context));
            x.ConfigureHealthCheckOptions(health =>
            {
                // Kept for diagnostics, out of readiness: it calls one faulted endpoint among several "degraded", which
                // readiness would pass. Readiness' RabbitMQ check is FlowkitHealth's (every endpoint consuming).
                health.Name = "masstransit-bus";
                health.Tags.Add("masstransit");
            });
            if (options.Has(Roles.Engine))
            {
                x.AddFlowkitEngineSagas();
            }

            if (options.Has(Roles.Worker))
            {
                x.AddFlowkitWorkerConsumers();
            }

            if (options.Has(Roles.Hub))
            {
                x.AddFlowkitHubConsumers();
            }

            x.UsingRabbitMq((context, cfg) =>
            {
                cfg.Host(rabbit, h =>
                {
                    // Every publish waits for the broker's confirm: a message is either stored or the send throws.
                    h.PublisherConfirmation = true;
                });
                if (options.Has(Roles.Worker))
                {
                    cfg.ConfigureWorkerEndpoints(context, endpoint => UseDeadLetterFilter(endpoint, context));
                }

                cfg.ConfigureEndpoints(context);
            });
        });

        return builder;
    }

    public static WebApplication MapFlowkit(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<FlowkitHostOptions>();
        app.MapFlowkitHealth();
        app.MapFlowkitObservability(options);
        if (options.Has(Roles.Api))
        {
            app.UseExceptionHandler();
            app.UseStatusCodePages();
            // After the exception handler, so a failing key lookup is a 500 problem too.
            app.UseAuthentication();
            app.UseAuthorization();
            app.MapFlowkitApi();
            app.MapFlowkitOps();
            app.UseFlowkitConsole();
        }

        return app;
    }

    /// <summary>Applies migrations when this process's roles use the database and <c>MigrateOnStart</c> is on, or always with <paramref name="force"/>.</summary>
    public static async Task MigrateFlowkitAsync(this WebApplication app, bool force = false)
    {
        var options = app.Services.GetRequiredService<FlowkitHostOptions>();
        var usesDatabase = options.Has(Roles.Api) || options.Has(Roles.Engine) || options.Has(Roles.Scheduler) || options.Has(Roles.Hub);
        if (force && !usesDatabase)
        {
            throw new InvalidOperationException($"'migrate' needs a role that uses the database (api, engine, scheduler or hub); Flowkit:Roles is '{options.Roles}'.");
        }

        if (force || (options.MigrateOnStart && usesDatabase))
        {
            await FlowkitDatabase.MigrateAsync(app.Services, app.Lifetime.ApplicationStopping);
        }
    }

    /// <summary>Poison messages are logged and counted (<see cref="PoisonMessageFilter"/>) before the default fault and move to <c>_error</c>.</summary>
    private static void UseDeadLetterFilter(IReceiveEndpointConfigurator endpoint, IServiceProvider services)
    {
        var filter = services.GetRequiredService<PoisonMessageFilter>();
        endpoint.ConfigureError(error =>
        {
            error.UseFilter(filter);
            error.UseFilter(new GenerateFaultFilter());
            error.UseFilter(new ErrorTransportFilter());
        });
    }

    private static string Required(string? value, string key) =>
        string.IsNullOrWhiteSpace(value)
            ? throw new InvalidOperationException($"Configuration '{key}' is missing. Run 'make services-up' and load .local/services/services.env, or set it.")
            : value;
}

/// <summary>The process roles.</summary>
internal static class Roles
{
    public const string Api = "api";
    public const string Engine = "engine";
    public const string Worker = "worker";

    /// <summary>Cron: the clustered Quartz scheduler (any number of instances fire each time once).</summary>
    public const string Scheduler = "scheduler";

    /// <summary>The integration hub: lifecycle events to subscriptions' destinations (docs/integrations.md).</summary>
    public const string Hub = "hub";
}
