using Flowkit.Testing;

namespace Flowkit.IntegrationTests.Faults;

/// <summary>Tests that kill and restart PostgreSQL or RabbitMQ: private instances, never the shared ones (issue #10).</summary>
[CollectionDefinition(Name)]
public sealed class FaultCollection : ICollectionFixture<FaultFixture>
{
    public const string Name = "faults";
}
