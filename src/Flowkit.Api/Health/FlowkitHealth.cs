using System.Text.Json;
using Flowkit.Api.Ingress;
using Flowkit.Api.Ops;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Flowkit.Api.Health;

/// <summary>
/// Liveness and readiness (CONTRACT.md: GET /health/live, /health/ready). Liveness checks nothing but the process.
/// Readiness checks what this process's roles need: PostgreSQL and the outbox relay's lag (api, engine, scheduler),
/// RabbitMQ (every role: connected, every receive endpoint consuming, a consumer on every queue the roles consume) and
/// Redis (api). PostgreSQL or RabbitMQ down, or a relay that stopped sending, makes the process unready (503); Redis
/// down only degrades it (200 with status "degraded"), because ingress keeps accepting without Redis and must stay in
/// rotation. docs/operations.md lists the checks.
/// </summary>
public static class FlowkitHealth
{
    /// <summary>The tag of readiness checks.</summary>
    public const string Ready = "ready";

    /// <summary>The name of the RabbitMQ readiness check (<see cref="RabbitMqHealthCheck"/>).</summary>
    public const string RabbitMqCheck = "rabbitmq";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The name of the check that the outbox relay keeps up (<see cref="OutboxLagHealthCheck"/>).</summary>
    public const string OutboxCheck = "outbox";

    /// <summary>
    /// Readiness checks for this process: PostgreSQL and the outbox relay's lag when it uses the database, RabbitMQ
    /// (connected and consuming from <paramref name="consumedQueues"/>) always, Redis (degrading only) for the API.
    /// </summary>
    public static IServiceCollection AddFlowkitHealth(this IServiceCollection services, bool database, bool redis, IReadOnlyList<string>? consumedQueues = null)
    {
        var checks = services.AddHealthChecks();
        var timeout = TimeSpan.FromSeconds(3);
        services.AddOptions<HealthOptions>().BindConfiguration(HealthOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<RabbitMqManagement>();
        services.AddSingleton(new ConsumedQueues(consumedQueues ?? []));
        checks.AddCheck<RabbitMqHealthCheck>(RabbitMqCheck, HealthStatus.Unhealthy, [Ready], timeout);
        if (database)
        {
            // A plain SELECT 1 from AspNetCore.HealthChecks.NpgSql (ADR 0013), on one data source it builds from the connection string.
            checks.AddNpgSql(
                sp => sp.GetRequiredService<IConfiguration>().GetConnectionString("Postgres") ?? throw new InvalidOperationException("ConnectionStrings:Postgres is not set."),
                name: "postgres",
                failureStatus: HealthStatus.Unhealthy,
                tags: [Ready],
                timeout: timeout);
            checks.AddCheck<OutboxLagHealthCheck>(OutboxCheck, HealthStatus.Unhealthy, [Ready], timeout);
        }

        if (redis)
        {
            checks.AddCheck<RedisHealthCheck>("redis", HealthStatus.Degraded, [Ready], timeout);
        }

        return services;
    }

    public static IEndpointRouteBuilder MapFlowkitHealth(this IEndpointRouteBuilder routes)
    {
        routes.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteLiveAsync })
            .AllowAnonymous()
            .ExcludeFromDescription();
        routes.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(Ready),
            ResultStatusCodes =
            {
                [HealthStatus.Healthy] = StatusCodes.Status200OK,
                [HealthStatus.Degraded] = StatusCodes.Status200OK,
                [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
            },
            ResponseWriter = WriteReadyAsync,
        })
            .AllowAnonymous()
            .ExcludeFromDescription();
        return routes;
    }

    private static Task WriteLiveAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync("""{"status":"live"}""");
    }

    private static Task WriteReadyAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        var body = new
        {
            status = Name(report.Status),
            checks = report.Entries.ToDictionary(
                e => e.Key,
                e => new { status = Name(e.Value.Status), description = e.Value.Description ?? e.Value.Exception?.Message, durationMs = Math.Round(e.Value.Duration.TotalMilliseconds, 1) }),
        };
        return context.Response.WriteAsync(JsonSerializer.Serialize(body, Json));
    }

    private static string Name(HealthStatus status) => status switch
    {
        HealthStatus.Healthy => "healthy",
        HealthStatus.Degraded => "degraded",
        _ => "unhealthy",
    };
}

/// <summary>Redis answers PING; when it does not, webhook ingress runs degraded (still accepting).</summary>
internal sealed class RedisHealthCheck(RedisIngress redis) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!redis.IsConfigured)
        {
            return HealthCheckResult.Degraded("not configured (ConnectionStrings:Redis): ingress deduplicates in PostgreSQL and rate-limits in-process");
        }

        return await redis.PingAsync() is { } latency
            ? HealthCheckResult.Healthy($"PING {latency.TotalMilliseconds:0.#} ms")
            : HealthCheckResult.Degraded("unreachable: ingress deduplicates in PostgreSQL and rate-limits in-process until it is back");
    }
}
