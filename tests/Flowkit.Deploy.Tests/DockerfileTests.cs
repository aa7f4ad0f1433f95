using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Flowkit.Deploy.Tests;

/// <summary>
/// The Flowkit image (issue #15), checked without a Docker engine (none runs here, and hadolint is not packaged): a
/// multi-stage build on base images pinned to exact versions, a runtime stage that runs as a non-root user with a
/// health check on /health/live, the console's files published with the host, and a restore layer that lists
/// every project the host needs (a new project that is not copied before <c>dotnet restore</c> breaks the build).
/// </summary>
public sealed partial class DockerfileTests
{
    private static readonly Dockerfile File = Dockerfile.Parse(Repo.Read("Dockerfile"));

    [Fact]
    public void Dockerfile_Stages_AreConsoleBuildAndRuntime()
    {
        File.Stages.Select(s => s.Name).Should().Equal("console", "build", "runtime");
    }

    [Fact]
    public void Dockerfile_BaseImages_ArePinnedToExactVersionsOrDigests()
    {
        foreach (var (image, _) in File.Stages)
        {
            image.Should().MatchRegex(PinnedImage().ToString(), "a base image names an exact version (x.y.z) or a digest, never latest or a moving major tag");
            image.Should().NotContain(":latest");
        }
    }

    [Fact]
    public void Dockerfile_RuntimeStage_RunsAsNumericNonRootUser()
    {
        var runtime = File.Stages.Count - 1;
        var users = File.InStage(runtime).Where(i => i.Keyword == "USER").ToList();

        users.Should().NotBeEmpty("the runtime stage sets its user");
        var user = users[^1].Arguments.Split(':')[0];
        user.Should().MatchRegex("^[0-9]+$", "Kubernetes' runAsNonRoot can only verify a numeric user");
        int.Parse(user, System.Globalization.CultureInfo.InvariantCulture).Should().BePositive("uid 0 is root");
        var last = users[^1].Line;
        File.InStage(runtime).Should().NotContain(i => i.Keyword == "RUN" && i.Line > last, "nothing runs after the user is set");
    }

    [Fact]
    public void Dockerfile_RuntimeStage_HasHealthCheckOnLiveness()
    {
        var runtime = File.Stages.Count - 1;
        var check = File.InStage(runtime).SingleOrDefault(i => i.Keyword == "HEALTHCHECK");

        check.Should().NotBeNull();
        check!.Arguments.Should().Contain("/health/live").And.Contain("CMD").And.Contain("8080");
        File.InStage(runtime).Should().Contain(i => i.Keyword == "EXPOSE" && i.Arguments == "8080");
    }

    [Fact]
    public void Dockerfile_Entrypoint_RunsTheHostWithRolesFromConfiguration()
    {
        var runtime = File.Stages.Count - 1;

        File.InStage(runtime).Should().Contain(i => i.Keyword == "ENTRYPOINT" && i.Arguments.Contains("Flowkit.Host.dll", StringComparison.Ordinal));
        File.InStage(runtime).Should().Contain(i => i.Keyword == "ENV" && i.Arguments.Contains("Flowkit__Roles=", StringComparison.Ordinal));
        File.InStage(runtime).Should().NotContain(i => i.Keyword == "FROM" && i.Arguments.Contains("sdk", StringComparison.Ordinal), "the runtime stage has no SDK");
        File.Stages[^1].Image.Should().Contain("/aspnet:", "the runtime image is the ASP.NET Core runtime, not the SDK");
    }

    [Fact]
    public void Dockerfile_Console_IsBuiltAndPublishedWithTheHost()
    {
        var build = File.InStage(1).ToList();
        var copyConsole = build.FindIndex(i => i.Keyword == "COPY" && i.Arguments.StartsWith("--from=console", StringComparison.Ordinal));
        var publish = build.FindIndex(i => i.Keyword == "RUN" && i.Arguments.Contains("dotnet publish", StringComparison.Ordinal));

        copyConsole.Should().BeGreaterThan(-1);
        build[copyConsole].Arguments.Should().EndWith("web/console/dist/", "where the host's project takes the console from");
        publish.Should().BeGreaterThan(copyConsole);
        File.InStage(0).Should().Contain(i => i.Keyword == "RUN" && i.Arguments.Contains("npm ci", StringComparison.Ordinal));
    }

    [Fact]
    public void Dockerfile_RestoreLayer_CopiesEveryProjectTheHostReferences()
    {
        var build = File.InStage(1).ToList();
        var restore = build.FindIndex(i => i.Keyword == "RUN" && i.Arguments.Contains("dotnet restore", StringComparison.Ordinal));
        var copied = build.Take(restore).Where(i => i.Keyword == "COPY")
            .SelectMany(i => i.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries).SkipLast(1)).ToHashSet(StringComparer.Ordinal);

        restore.Should().BeGreaterThan(-1);
        foreach (var project in ProjectClosure("src/Flowkit.Host/Flowkit.Host.csproj"))
        {
            copied.Should().Contain(project, $"{project} must be copied before 'dotnet restore'");
        }

        copied.Should().Contain("Directory.Packages.props");
    }

    [Fact]
    public void Dockerfile_CopiedPaths_ExistAndAreNotIgnored()
    {
        var ignored = Repo.Read(".dockerignore").ReplaceLineEndings("\n").Split('\n')
            .Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        var sources = File.Instructions
            .Where(i => i.Keyword == "COPY" && !i.Arguments.StartsWith("--from", StringComparison.Ordinal))
            .SelectMany(i => i.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(a => !a.StartsWith("--", StringComparison.Ordinal)).SkipLast(1));

        foreach (var source in sources)
        {
            (System.IO.File.Exists(Repo.PathOf(source)) || Directory.Exists(Repo.PathOf(source))).Should().BeTrue($"COPY {source} exists");
            ignored.Should().NotContain(p => source.StartsWith(p.TrimStart('*', '/'), StringComparison.Ordinal), $"{source} is sent to the build (.dockerignore)");
        }

        ignored.Should().Contain(["**/bin/", "**/obj/", "**/node_modules/", ".git/", ".local/"], "build output, dependencies and local service data stay out of the context");
    }

    /// <summary>The project and every project it references, transitively, as repository paths.</summary>
    private static SortedSet<string> ProjectClosure(string project)
    {
        var seen = new SortedSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([project]);
        while (pending.TryPop(out var next))
        {
            if (!seen.Add(next))
            {
                continue;
            }

            var folder = Path.GetDirectoryName(Repo.PathOf(next))!;
            foreach (var reference in XDocument.Parse(Repo.Read(next)).Descendants("ProjectReference"))
            {
                var full = Path.GetFullPath(Path.Combine(folder, reference.Attribute("Include")!.Value.Replace('\\', Path.DirectorySeparatorChar)));
                pending.Push(Path.GetRelativePath(Repo.Root, full).Replace(Path.DirectorySeparatorChar, '/'));
            }
        }

        return seen;
    }

    [GeneratedRegex(@"(@sha256:[0-9a-f]{64}$)|(:[0-9]+\.[0-9]+\.[0-9]+(-[a-z0-9.-]+)?(@sha256:[0-9a-f]{64})?$)")]
    private static partial Regex PinnedImage();
}
