namespace Flowkit.Console.Tests;

/// <summary>One host and one browser for every console test.</summary>
[CollectionDefinition(Name)]
public sealed class ConsoleCollection : ICollectionFixture<ConsoleFixture>
{
    public const string Name = "console";
}
