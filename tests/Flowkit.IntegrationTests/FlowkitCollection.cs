using Flowkit.Testing;

namespace Flowkit.IntegrationTests;

/// <summary>One set of real services and one Flowkit host for every test in the collection.</summary>
[CollectionDefinition(Name)]
public sealed class FlowkitCollection : ICollectionFixture<FlowkitFixture>
{
    public const string Name = "flowkit";
}
