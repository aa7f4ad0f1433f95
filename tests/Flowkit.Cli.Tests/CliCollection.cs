namespace Flowkit.Cli.Tests;

/// <summary>One host for every CLI test.</summary>
[CollectionDefinition(Name)]
public sealed class CliCollection : ICollectionFixture<CliFixture>
{
    public const string Name = "cli";
}
