namespace Flowkit.IntegrationTests;

/// <summary>The runbook drills (docs/runbooks/): one Flowkit process, one private Redis and one Prometheus for all.</summary>
[CollectionDefinition(Name)]
public sealed class DrillCollection : ICollectionFixture<DrillFixture>
{
    public const string Name = "drills";
}
