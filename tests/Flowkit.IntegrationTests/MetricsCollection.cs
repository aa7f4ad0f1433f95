using Flowkit.Testing;

namespace Flowkit.IntegrationTests;

/// <summary>
/// A database, virtual host and all-roles host of their own for the metrics tests: in the shared collection other
/// tests start engine processes that may take a run's messages, and a count made in another process never reaches
/// this host's <c>/metrics</c>.
/// </summary>
public sealed class MetricsFixture : FlowkitFixture;

// Alone, after the parallel collections: every host in this process has meters of the same names, and a scrape
// while other collections start and stop hosts was seen to lose this host's counts (1 run in 3 on CI).
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MetricsCollection : ICollectionFixture<MetricsFixture>
{
    public const string Name = "metrics";
}
