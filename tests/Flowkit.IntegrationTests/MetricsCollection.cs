using Flowkit.Testing;

namespace Flowkit.IntegrationTests;

/// <summary>
/// A database, virtual host and all-roles host of their own for the metrics tests: in the shared collection other
/// tests start engine processes that may take a run's messages, and a count made in another process never reaches
/// this host's <c>/metrics</c>.
/// </summary>
public sealed class MetricsFixture : FlowkitFixture;

[CollectionDefinition(Name)]
public sealed class MetricsCollection : ICollectionFixture<MetricsFixture>
{
    public const string Name = "metrics";
}
