namespace Flowkit.Chaos;

/// <summary>One cluster of processes and private services for the whole fault suite; its scenarios run one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class ChaosCollection : ICollectionFixture<ChaosCluster>
{
    public const string Name = "chaos";
}
