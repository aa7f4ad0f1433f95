using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Flowkit.Deploy.Tests;

/// <summary>
/// CI/CD (issue #15): .github/workflows/ci.yml builds and runs <c>make test</c>, builds and pushes the image after
/// the tests, and bumps the image tag of an overlay with <c>kustomize edit set image</c> (dev on main, prod by a
/// pull request on a release tag); every job and step is well formed and every action pinned to an exact version.
/// </summary>
public sealed partial class PipelineTests
{
    private static readonly JsonNode Workflow = YamlJson.Load(Repo.Read(".github/workflows/ci.yml"));

    private static JsonObject Jobs => Workflow["jobs"]!.AsObject();

    [Fact]
    public void Workflow_Jobs_AreWellFormed()
    {
        Workflow["name"].Should().NotBeNull();
        Workflow["on"]!.AsObject().Select(t => t.Key).Should().Contain(["push", "pull_request"]);
        foreach (var (name, job) in Jobs)
        {
            job!["runs-on"].Should().NotBeNull($"job {name} names its runner");
            var steps = job["steps"]!.AsArray();
            steps.Should().NotBeEmpty($"job {name} has steps");
            foreach (var step in steps)
            {
                (step!["run"] is null).Should().NotBe(step["uses"] is null, $"each step of {name} either runs a command or uses an action: {step.ToJsonString()}");
            }

            foreach (var need in Needs(job))
            {
                Jobs.Should().ContainKey(need, $"job {name} needs an existing job");
            }
        }
    }

    [Fact]
    public void Workflow_Test_RunsMakeTest()
    {
        Runs(Jobs["test"]!).Should().Contain(r => r.Contains("make test", StringComparison.Ordinal));
        Jobs["test"]!["if"].Should().BeNull("every push and pull request is tested");
    }

    [Fact]
    public void Workflow_Image_IsBuiltAndPushedAfterTheTests()
    {
        var image = Jobs["image"]!;
        var build = image["steps"]!.AsArray().Single(s => s!["uses"]?.GetValue<string>().StartsWith("docker/build-push-action@", StringComparison.Ordinal) == true)!;

        Needs(image).Should().Contain("test");
        build["with"]!["push"]!.GetValue<bool>().Should().BeTrue();
        build["with"]!["file"]!.GetValue<string>().Should().Be("Dockerfile");
        File.Exists(Repo.PathOf(build["with"]!["file"]!.GetValue<string>())).Should().BeTrue();
        build["with"]!["tags"]!.GetValue<string>().Should().StartWith("${{ env.IMAGE }}:");
        image["permissions"]!["packages"]!.GetValue<string>().Should().Be("write");
    }

    [Theory]
    [InlineData("deploy-dev", "deploy/k8s/overlays/dev")]
    [InlineData("release-prod", "deploy/k8s/overlays/prod")]
    public void Workflow_Bump_SetsTheImageTagOfTheOverlay(string job, string overlay)
    {
        var bump = Jobs[job]!["steps"]!.AsArray().Single(s => s!["run"]?.GetValue<string>().Contains("kustomize edit set image", StringComparison.Ordinal) == true)!;
        var kustomization = YamlJson.Load(Repo.Read($"{overlay}/kustomization.yaml"));
        var image = kustomization["images"]!.AsArray().Single()!;

        Needs(Jobs[job]!).Should().Contain("image");
        bump["working-directory"]!.GetValue<string>().Should().Be(overlay);
        bump["run"]!.GetValue<string>().Should().Contain($"{image["name"]!.GetValue<string>()}=${{{{ env.IMAGE }}}}:");
        Workflow["env"]!["IMAGE"]!.GetValue<string>().Should().Be(image["newName"]!.GetValue<string>(), "the pushed image is the one the overlay names");
    }

    [Fact]
    public void Workflow_Actions_ArePinnedToExactVersions()
    {
        var uses = Jobs.SelectMany(j => j.Value!["steps"]!.AsArray()).Select(s => s!["uses"]?.GetValue<string>()).OfType<string>().ToList();

        uses.Should().NotBeEmpty();
        uses.Should().AllSatisfy(u => u.Should().MatchRegex(PinnedAction().ToString()));
    }

    private static IEnumerable<string> Needs(JsonNode job) => job["needs"] switch
    {
        null => [],
        JsonArray list => list.Select(n => n!.GetValue<string>()),
        var one => [one.GetValue<string>()],
    };

    private static IEnumerable<string> Runs(JsonNode job) =>
        job["steps"]!.AsArray().Select(s => s!["run"]?.GetValue<string>()).OfType<string>();

    [GeneratedRegex(@"^[a-z0-9-]+/[a-z0-9-]+@(v[0-9]+\.[0-9]+\.[0-9]+|[0-9a-f]{40})$")]
    private static partial Regex PinnedAction();
}
