using Flowkit.Sagas;
using Npgsql;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Scalar.AspNetCore;

namespace Flowkit.Host.Observability;

/// <summary>
/// Metrics on <c>/metrics</c> (OpenTelemetry's Prometheus exporter, docs/adr/0010), ECS JSON or plain logs on stdout,
/// and OpenTelemetry traces, for every role (docs/observability.md).
/// </summary>
internal static class ObservabilityExtensions
{
    /// <summary>Every Flowkit meter and activity source, whoever adds it (<c>Flowkit.Engine</c>, <c>Flowkit.Ingress</c>, ...).</summary>
    public const string FlowkitTelemetry = "Flowkit.*";

    /// <summary>MassTransit's meter and activity source (send, receive, consume, retries, faults).</summary>
    public const string MassTransitTelemetry = "MassTransit";

    /// <summary>The path of the interactive API reference (Scalar) for the OpenAPI document (outside /api, which needs a key).</summary>
    public const string ApiReferencePath = "/reference";

    public static WebApplicationBuilder AddFlowkitObservability(this WebApplicationBuilder builder, FlowkitHostOptions host)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(host);
        var services = builder.Services;
        services.AddOptions<ObservabilityOptions>().BindConfiguration(ObservabilityOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        var options = builder.Configuration.GetSection(ObservabilityOptions.Section).Get<ObservabilityOptions>() ?? new ObservabilityOptions();
        var serviceName = Environment.GetEnvironmentVariable("OTEL_SERVICE_NAME") is { Length: > 0 } fromEnvironment ? fromEnvironment : options.ServiceName;

        AddLogging(builder, options, serviceName);

        if (host.Has(Roles.Engine))
        {
            // The run driver's observer reads plans through the engine's run store: engine role only.
            services.AddSingleton<RunMetrics>();
            services.AddScoped<IRunTimelineObserver, RunTimelineTelemetry>();
        }

        services.AddSingleton<OperationsGauges>();
        var usesDatabase = host.Has(Roles.Api) || host.Has(Roles.Engine) || host.Has(Roles.Scheduler);
        var management = builder.Configuration["Flowkit:RabbitMqManagementUrl"] is { Length: > 0 } url ? new Uri(url) : null;
        services.AddSingleton(new OperationsEndpoints(
            usesDatabase ? builder.Configuration.GetConnectionString("Postgres") : null,
            new Uri(builder.Configuration.GetConnectionString("RabbitMq") ?? "amqp://localhost/"),
            management));
        // Its requests every few seconds are not news: failures are logged by the refresher.
        services.AddHttpClient(OperationsGaugeRefresher.HttpClientName, c => c.Timeout = options.GaugeRefreshTimeout).RemoveAllLoggers();
        services.AddHostedService<OperationsGaugeRefresher>();

        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(serviceName, serviceInstanceId: Environment.MachineName + ":" + Environment.ProcessId))
            .WithMetrics(metrics => metrics
                .AddMeter(FlowkitTelemetry, MassTransitTelemetry)
                .AddAspNetCoreInstrumentation()
                .AddRuntimeInstrumentation()
                .AddPrometheusExporter())
            .WithTracing(tracing => tracing
                .SetSampler(new ParentBasedSampler(new BackgroundClientSampler()))
                .AddSource(FlowkitTelemetry, MassTransitTelemetry)
                .AddAspNetCoreInstrumentation(o => o.Filter = context => !IsOperationsPath(context.Request.Path))
                .AddHttpClientInstrumentation()
                .AddNpgsql());

        // OTLP only where the standard variables ask for it: nothing leaves the process by default.
        if (Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT") is { Length: > 0 }
            || Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") is { Length: > 0 })
        {
            telemetry.WithTracing(tracing => tracing.AddOtlpExporter());
        }

        return builder;
    }

    /// <summary>Maps <c>/metrics</c> (every role) and the API reference (API role).</summary>
    public static WebApplication MapFlowkitObservability(this WebApplication app, FlowkitHostOptions host)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(host);
        app.MapPrometheusScrapingEndpoint("/metrics");
        if (host.Has(Roles.Api))
        {
            app.MapScalarApiReference(ApiReferencePath, o => o
                .WithTitle("Flowkit API reference")
                .WithOpenApiRoutePattern("/openapi/{documentName}.json")
                .DisableDefaultFonts());
        }

        return app;
    }

    private static void AddLogging(WebApplicationBuilder builder, ObservabilityOptions options, string serviceName)
    {
        var json = options.LogFormat is { } format
            ? format == "json"
            : !builder.Environment.IsDevelopment();
        if (!json)
        {
            // A terminal is not a log store: one line per lifecycle event would drown everything else (and slow the
            // benchmark, which runs in Development). Configuration can still turn them on.
            if (builder.Configuration[$"Logging:LogLevel:{RunTimelineTelemetry.Category}"] is null)
            {
                builder.Logging.AddFilter(RunTimelineTelemetry.Category, LogLevel.Warning);
            }

            return;
        }

        builder.Logging.AddConsole(o => o.FormatterName = EcsConsoleFormatter.FormatterName);
        builder.Logging.AddConsoleFormatter<EcsConsoleFormatter, EcsConsoleFormatterOptions>(o => o.ServiceName = serviceName);
    }

    private static bool IsOperationsPath(PathString path) =>
        path.StartsWithSegments("/metrics") || path.StartsWithSegments("/health");
}
