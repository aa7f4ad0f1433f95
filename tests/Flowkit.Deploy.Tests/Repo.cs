using Flowkit.Testing;

namespace Flowkit.Deploy.Tests;

/// <summary>Files of the repository under test.</summary>
internal static class Repo
{
    public static string Root { get; } = ServiceEndpoints.RepositoryRoot();

    public static string PathOf(string relative) => Path.Combine(Root, relative.Replace('/', Path.DirectorySeparatorChar));

    public static string Read(string relative)
    {
        var path = PathOf(relative);
        File.Exists(path).Should().BeTrue($"{relative} is committed");
        return File.ReadAllText(path);
    }
}
