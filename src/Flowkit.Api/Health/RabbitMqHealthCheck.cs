using Flowkit.Api.Ops;
using MassTransit;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Flowkit.Api.Health;

/// <summary>
/// RabbitMQ readiness of this process: the bus is connected and every one of its receive endpoints is consuming
/// (MassTransit's own bus check calls one faulted endpoint among several "degraded", which a readiness probe would
/// pass), and, when the management API is configured, every queue this process's roles consume from has a consumer on
/// the broker (<see cref="ConsumedQueues"/>), which catches a consumer the broker cancelled behind the client's back.
/// </summary>
internal sealed class RabbitMqHealthCheck(IBusControl bus, RabbitMqManagement management, ConsumedQueues consumed) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var health = bus.CheckHealth();
        var idle = health.Endpoints
            .Where(e => e.Value.Status != BusHealthStatus.Healthy)
            .Select(e => $"{e.Key.Split('/')[^1].Split('?')[0]} ({e.Value.Description})")
            .ToList();
        if (health.Status != BusHealthStatus.Healthy || idle.Count > 0)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"not consuming: {(idle.Count > 0 ? string.Join(", ", idle) : health.Description)}");
        }

        if (!management.IsConfigured || consumed.Names.Count == 0)
        {
            return HealthCheckResult.Healthy("connected; every endpoint consuming");
        }

        try
        {
            var queues = (await management.QueuesAsync(cancellationToken)).ToDictionary(q => q.Name, StringComparer.Ordinal);
            var missing = consumed.Names.Where(n => !queues.TryGetValue(n, out var q) || q.Consumers == 0).ToList();
            return missing.Count == 0
                ? HealthCheckResult.Healthy($"connected; consumers on {string.Join(", ", consumed.Names)}")
                : new HealthCheckResult(context.Registration.FailureStatus, $"no consumer on {string.Join(", ", missing)}");
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"the management API does not answer: {ex.Message}");
        }
    }
}
