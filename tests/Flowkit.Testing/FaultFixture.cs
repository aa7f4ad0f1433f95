namespace Flowkit.Testing;

/// <summary>
/// A <see cref="FlowkitFixture"/> on PRIVATE PostgreSQL and RabbitMQ instances (<see cref="PrivatePostgres"/>,
/// <see cref="PrivateRabbitMq"/>) that its tests may kill and restart; Redis stays the shared one. One per fault
/// test collection, because starting a broker takes seconds.
/// </summary>
public class FaultFixture : FlowkitFixture
{
    public PrivatePostgres Postgres { get; private set; } = null!;

    public PrivateRabbitMq RabbitMq { get; private set; } = null!;

    protected override async Task<ServiceEndpoints> StartServicesAsync()
    {
        var shared = ServiceEndpoints.Load();
        var postgres = PrivatePostgres.StartAsync();
        var rabbit = PrivateRabbitMq.StartAsync();
        Postgres = await postgres;
        RabbitMq = await rabbit;
        return shared with { Postgres = Postgres.ConnectionString, RabbitMq = RabbitMq.Uri, RabbitMqManagement = RabbitMq.ManagementUri };
    }

    protected override async ValueTask StopServicesAsync()
    {
        if (RabbitMq is not null)
        {
            await RabbitMq.DisposeAsync();
        }

        if (Postgres is not null)
        {
            await Postgres.DisposeAsync();
        }
    }
}
