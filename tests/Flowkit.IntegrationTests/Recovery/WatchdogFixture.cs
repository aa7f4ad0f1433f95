using Flowkit.Testing;

namespace Flowkit.IntegrationTests.Recovery;

/// <summary>
/// Services and hosts of their own for the watchdog tests: an API host, and an engine (with a worker) whose
/// watchdog looks every 200 ms and acts on what stayed stuck for 1 s (its timeout sweeper only once a minute), so its re-drives never touch the runs of
/// other collections.
/// </summary>
public sealed class WatchdogFixture : FlowkitFixture
{
    private FlowkitHost? _engine;

    public WatchdogFixture()
        : base("api")
    {
    }

    /// <summary>Starts the engine and worker on first use.</summary>
    public FlowkitHost Engine => _engine ??= StartHost("engine,worker", new Dictionary<string, string?>
    {
        ["Flowkit:Engine:WatchdogInterval"] = "00:00:00.200",
        ["Flowkit:Engine:WatchdogBound"] = "00:00:01",
        // The timeout sweeper looks rarely here, so a passed deadline is the watchdog's to find.
        ["Flowkit:Engine:Timeouts:Interval"] = "00:01:00",
        // A timeout the watchdog re-sends counts at once (no second sending of the attempt; DeliveryTests cover those).
        ["Flowkit:Engine:MaxDeliveries"] = "1",
    });
}

[CollectionDefinition(Name)]
public sealed class WatchdogCollection : ICollectionFixture<WatchdogFixture>
{
    public const string Name = "watchdog";
}
