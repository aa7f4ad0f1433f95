using System.Text.Json.Nodes;

namespace Flowkit.Deploy.Tests;

/// <summary>
/// GitOps (issue #15): one Argo CD Application per overlay, pointing at it and at its namespace; dev syncs by itself
/// (prune, self-heal), prod has no automated sync, so a person approves each change.
/// </summary>
public sealed class ArgoCdTests
{
    private static readonly Dictionary<string, JsonNode> Applications =
        Directory.GetFiles(Repo.PathOf("deploy/argocd"), "*.yaml").Order(StringComparer.Ordinal)
            .ToDictionary(f => $"deploy/argocd/{Path.GetFileName(f)}", f => YamlJson.Load(File.ReadAllText(f)), StringComparer.Ordinal);

    [Fact]
    public void Applications_OnePerOverlay()
    {
        var paths = Applications.Values.Select(a => a["spec"]!["source"]!["path"]!.GetValue<string>()).Order(StringComparer.Ordinal);

        paths.Should().Equal(Kustomize.Overlays());
    }

    [Fact]
    public void Applications_AreWellFormedAndTargetTheOverlaysNamespace()
    {
        foreach (var (file, app) in Applications)
        {
            app["apiVersion"]!.GetValue<string>().Should().Be("argoproj.io/v1alpha1", file);
            app["kind"]!.GetValue<string>().Should().Be("Application", file);
            app["metadata"]!["name"]!.GetValue<string>().Should().MatchRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", file);
            app["metadata"]!["namespace"]!.GetValue<string>().Should().Be("argocd", file);
            var spec = app["spec"]!;
            spec["project"]!.GetValue<string>().Should().NotBeNullOrEmpty(file);
            spec["source"]!["repoURL"]!.GetValue<string>().Should().StartWith("https://", file);
            spec["source"]!["targetRevision"]!.GetValue<string>().Should().NotBeNullOrEmpty(file);
            spec["destination"]!["server"]!.GetValue<string>().Should().NotBeNullOrEmpty(file);
            spec.AsObject().Select(p => p.Key).Should().BeSubsetOf(["project", "source", "destination", "syncPolicy", "ignoreDifferences", "info", "revisionHistoryLimit"], file);

            var overlay = spec["source"]!["path"]!.GetValue<string>();
            var rendered = Kustomize.Render(overlay);
            rendered.Select(o => o["metadata"]!["namespace"]!.GetValue<string>()).Distinct()
                .Should().Equal([spec["destination"]!["namespace"]!.GetValue<string>()], $"{file} deploys into the namespace its overlay sets");
        }
    }

    [Fact]
    public void Dev_SyncsAutomaticallyWithPruneAndSelfHeal()
    {
        var automated = Application("deploy/k8s/overlays/dev")["spec"]!["syncPolicy"]!["automated"];

        automated.Should().NotBeNull();
        automated!["prune"]!.GetValue<bool>().Should().BeTrue();
        automated["selfHeal"]!.GetValue<bool>().Should().BeTrue();
    }

    [Fact]
    public void Prod_WaitsForAPersonToSync()
    {
        Application("deploy/k8s/overlays/prod")["spec"]!["syncPolicy"]?["automated"].Should().BeNull("prod is synced by hand after approval");
    }

    [Fact]
    public void Applications_LeaveTheWorkerCountToTheAutoscaler()
    {
        foreach (var (file, app) in Applications)
        {
            app["spec"]!["ignoreDifferences"]!.AsArray().Should().Contain(
                d => d!["kind"]!.GetValue<string>() == "Deployment" && d["name"]!.GetValue<string>() == "flowkit-worker"
                    && d["jsonPointers"]!.AsArray().Any(p => p!.GetValue<string>() == "/spec/replicas"),
                file);
        }
    }

    private static JsonNode Application(string overlay) =>
        Applications.Values.Single(a => a["spec"]!["source"]!["path"]!.GetValue<string>() == overlay);
}
