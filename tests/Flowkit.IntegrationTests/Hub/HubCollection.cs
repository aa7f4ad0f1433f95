namespace Flowkit.IntegrationTests.Hub;

/// <summary>The tests that need a hub host.</summary>
[CollectionDefinition(Name)]
public sealed class HubCollection : ICollectionFixture<HubFixture>
{
    public const string Name = "hub";
}
