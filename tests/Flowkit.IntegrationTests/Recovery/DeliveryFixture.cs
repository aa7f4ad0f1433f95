using Flowkit.Testing;

namespace Flowkit.IntegrationTests.Recovery;

/// <summary>
/// Services and an API host of their own for the delivery tests: each test starts its engine (with the delivery window
/// it needs) and, when it wants the held work to go, a worker; both are stopped at the end of the test, so work for
/// the step queues waits in RabbitMQ until a test starts a worker.
/// </summary>
public sealed class DeliveryFixture : FlowkitFixture
{
    public DeliveryFixture()
        : base("api")
    {
    }

    /// <summary>An engine whose timeout sweeper acts at once (no grace after its start) and whose first delivery window is <paramref name="window"/>.</summary>
    public FlowkitHost StartEngine(TimeSpan window) => StartHost("engine", new Dictionary<string, string?>
    {
        ["Flowkit:Engine:DeliveryWindow"] = window.ToString("c", System.Globalization.CultureInfo.InvariantCulture),
        ["Flowkit:Engine:Timeouts:Grace"] = "00:00:00",
        ["Flowkit:Engine:WatchdogEnabled"] = "false",
    });
}

[CollectionDefinition(Name)]
public sealed class DeliveryCollection : ICollectionFixture<DeliveryFixture>
{
    public const string Name = "delivery";
}
