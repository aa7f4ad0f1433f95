using Flowkit.Sagas;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Flowkit.Engine;

/// <summary>
/// The run saga's endpoint (<c>flowkit-runs</c>). Transport retry here covers infrastructure faults only (a lock
/// timeout, a dropped connection); a step failing is a domain outcome that never throws.
/// </summary>
public sealed class RunStateMachineDefinition : SagaDefinition<RunState>
{
    public const string Queue = "flowkit-runs";

    public RunStateMachineDefinition()
    {
        EndpointName = Queue;
    }

    protected override void ConfigureSaga(IReceiveEndpointConfigurator endpointConfigurator, ISagaConfigurator<RunState> sagaConfigurator, IRegistrationContext context)
    {
        ArgumentNullException.ThrowIfNull(endpointConfigurator);
        endpointConfigurator.UseMessageRetry(r =>
        {
            r.Handle<NpgsqlException>();
            r.Handle<DbUpdateException>();
            r.Handle<TimeoutException>();
            r.Exponential(5, TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(100));
        });

        // Messages the saga sends leave only after its transaction committed. (The durable outbox replaces this
        // with rows written in the same transaction: issue 5.)
        endpointConfigurator.UseInMemoryOutbox(context);
    }
}
