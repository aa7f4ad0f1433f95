using Flowkit.Contracts;
using Flowkit.Persistence.Outbox;
using Flowkit.Sagas;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Flowkit.Engine;

/// <summary>
/// The run saga's endpoint (<c>flowkit-runs</c>): transport retry (without limit for infrastructure faults, a few
/// tries for other database errors; a step failing is a domain outcome that never throws), then an in-process
/// partitioner by run id (a busy run's messages wait in memory, holding no connection), then the inbox, which opens
/// the transaction the saga repository joins. Only poison messages end in <c>flowkit-runs_error</c>, with the
/// reason in headers.
/// </summary>
public sealed class RunStateMachineDefinition : SagaDefinition<RunState>
{
    /// <summary>The longest wait between two tries of a message that met an infrastructure fault.</summary>
    public static readonly TimeSpan RetryCeiling = TimeSpan.FromSeconds(10);

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

        // Infrastructure faults (PostgreSQL down or restarting, a dropped connection, a timeout) are retried without
        // limit, backing off to RetryCeiling: an outage of any length delays messages and never dead-letters them.
        // The message stays unacknowledged meanwhile; if the broker goes away instead, it is redelivered.
        endpointConfigurator.UseMessageRetry(r =>
        {
            r.Handle<Exception>(TransientFaults.IsTransient);
            r.Exponential(int.MaxValue, TimeSpan.FromMilliseconds(100), RetryCeiling, TimeSpan.FromMilliseconds(200));
        });

        // Other database errors (a race on a constraint) get a few quick tries; what still fails is poison and goes to
        // flowkit-runs_error, counted and logged (PoisonMessageFilter), listed and redriven by the ops API.
        endpointConfigurator.UseMessageRetry(r =>
        {
            r.Handle<Exception>(e => !TransientFaults.IsTransient(e) && TransientFaults.IsDatabase(e));
            r.Intervals(TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(1));
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
        endpointConfigurator.UsePartitioner<PauseRun>(partitioner, c => c.Message.RunId);
        endpointConfigurator.UsePartitioner<ResumeRun>(partitioner, c => c.Message.RunId);

        endpointConfigurator.UseConsumeFilter(typeof(InboxFilter<>), context);
    }
}
