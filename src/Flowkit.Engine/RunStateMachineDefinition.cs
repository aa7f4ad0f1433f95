using Flowkit.Contracts;
using Flowkit.Persistence.Outbox;
using Flowkit.Sagas;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Flowkit.Engine;

/// <summary>
/// The run saga's endpoint (<c>flowkit-runs</c>): transport retry for infrastructure faults only (a lock timeout, a
/// dropped connection; a step failing is a domain outcome that never throws), then an in-process partitioner by run
/// id (a busy run's messages wait in memory, holding no connection), then the inbox, which opens the transaction
/// the saga repository joins. Messages that still fail end in <c>flowkit-runs_error</c> with the reason in headers.
/// </summary>
public sealed class RunStateMachineDefinition : SagaDefinition<RunState>
{
    private readonly EngineOptions _options;

    public RunStateMachineDefinition(IOptions<EngineOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        EndpointName = EngineQueues.Runs;
        ConcurrentMessageLimit = _options.ConcurrencyLimit;
    }

    protected override void ConfigureSaga(IReceiveEndpointConfigurator endpointConfigurator, ISagaConfigurator<RunState> sagaConfigurator, IRegistrationContext context)
    {
        ArgumentNullException.ThrowIfNull(endpointConfigurator);
        if (endpointConfigurator is IRabbitMqReceiveEndpointConfigurator rabbit)
        {
            rabbit.PrefetchCount = _options.PrefetchCount;
        }

        endpointConfigurator.UseMessageRetry(r =>
        {
            r.Handle<NpgsqlException>();
            r.Handle<DbUpdateException>();
            r.Handle<TimeoutException>();
            r.Handle<InvalidOperationException>(e => e.InnerException is NpgsqlException or TimeoutException);
            r.Exponential(8, TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(100));
        });

        var partitioner = endpointConfigurator.CreatePartitioner(_options.Partitions);
        endpointConfigurator.UsePartitioner<StartRun>(partitioner, c => c.Message.RunId);
        endpointConfigurator.UsePartitioner<StepFinished>(partitioner, c => c.Message.RunId);
        endpointConfigurator.UsePartitioner<StepTimedOut>(partitioner, c => c.Message.RunId);
        endpointConfigurator.UsePartitioner<StepRetryDue>(partitioner, c => c.Message.RunId);
        endpointConfigurator.UsePartitioner<DelayElapsed>(partitioner, c => c.Message.RunId);
        endpointConfigurator.UsePartitioner<DecideApproval>(partitioner, c => c.Message.RunId);
        endpointConfigurator.UsePartitioner<ApprovalExpired>(partitioner, c => c.Message.RunId);
        endpointConfigurator.UsePartitioner<CancelRun>(partitioner, c => c.Message.RunId);
        endpointConfigurator.UsePartitioner<RunTimedOut>(partitioner, c => c.Message.RunId);

        endpointConfigurator.UseConsumeFilter(typeof(InboxFilter<>), context);
    }
}
