using Flowkit.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Flowkit.Api.Health;

/// <summary>
/// The outbox relay keeps up: the oldest outbox row that is due has waited less than
/// <see cref="HealthOptions.OutboxLagLimit"/>. A relay that cannot send (the broker is away or blocks publishers) makes
/// every process that relays unready, even while its own connections look fine.
/// </summary>
internal sealed class OutboxLagHealthCheck(FlowkitDbContext db, TimeProvider time, IOptions<HealthOptions> options) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var now = time.GetUtcNow();
        try
        {
            var oldest = await db.Database
                .SqlQuery<DateTimeOffset?>($"SELECT min(due_at) AS \"Value\" FROM outbox WHERE due_at <= {now} AND poisoned_at IS NULL")
                .SingleAsync(cancellationToken);
            var lag = oldest is { } due ? now - due : TimeSpan.Zero;
            var limit = options.Value.OutboxLagLimit;
            return lag <= limit
                ? HealthCheckResult.Healthy($"oldest due row waited {lag.TotalSeconds:0.#} s")
                : new HealthCheckResult(context.Registration.FailureStatus, $"the relay is behind: the oldest due row has waited {lag.TotalSeconds:0} s (limit {limit.TotalSeconds:0} s); is RabbitMQ reachable?");
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"outbox unreadable: {ex.GetType().Name}: {ex.Message}");
        }
    }
}
