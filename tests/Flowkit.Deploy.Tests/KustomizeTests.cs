using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Flowkit.Deploy.Tests;

/// <summary>
/// deploy/k8s (issue #15), rendered with <c>kubectl kustomize</c> for every overlay: a Deployment per role with
/// both probes, requests and limits, a non-root user and a pinned image; the migration Job ordered before them; the
/// worker autoscaler on Flowkit's own backlog metric; disruption budgets, network policies, and configuration and
/// secrets by reference.
/// </summary>
public sealed partial class KustomizeTests
{
    public static TheoryData<string> Overlays() => [.. Kustomize.Overlays()];

    [Fact]
    public void Overlays_AreDevAndProd()
    {
        Kustomize.Overlays().Should().Equal("deploy/k8s/overlays/dev", "deploy/k8s/overlays/prod");
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Overlay_Roles_HaveADeploymentEach(string overlay)
    {
        var roles = Deployments(overlay).ToDictionary(d => d["metadata"]!["name"]!.GetValue<string>(), d => Env(Container(d), "Flowkit__Roles"));

        roles.Should().BeEquivalentTo(new Dictionary<string, string?>
        {
            ["flowkit-api"] = "api,scheduler",
            ["flowkit-engine"] = "engine",
            ["flowkit-worker"] = "worker",
        });
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Overlay_Deployments_HaveLivenessAndReadinessProbes(string overlay)
    {
        foreach (var deployment in Deployments(overlay))
        {
            var container = Container(deployment);
            container["livenessProbe"]?["httpGet"]?["path"]?.GetValue<string>().Should().Be("/health/live", Name(deployment));
            container["readinessProbe"]?["httpGet"]?["path"]?.GetValue<string>().Should().Be("/health/ready", Name(deployment));
            container["livenessProbe"].Should().NotBeNull(Name(deployment));
            container["readinessProbe"].Should().NotBeNull(Name(deployment));
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Overlay_Workloads_HaveRequestsAndLimits(string overlay)
    {
        foreach (var workload in Deployments(overlay).Append(MigrationJob(overlay)))
        {
            var resources = Container(workload)["resources"];
            foreach (var kind in new[] { "requests", "limits" })
            {
                foreach (var resource in new[] { "cpu", "memory" })
                {
                    resources?[kind]?[resource].Should().NotBeNull($"{Name(workload)} sets {kind}.{resource}");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Overlay_Workloads_RunAsNonRoot(string overlay)
    {
        foreach (var workload in Deployments(overlay).Append(MigrationJob(overlay)))
        {
            var pod = PodSpec(workload);
            var container = Container(workload);
            var nonRoot = container["securityContext"]?["runAsNonRoot"] ?? pod["securityContext"]?["runAsNonRoot"];
            var user = container["securityContext"]?["runAsUser"] ?? pod["securityContext"]?["runAsUser"];

            nonRoot?.GetValue<bool>().Should().BeTrue($"{Name(workload)} sets runAsNonRoot");
            user?.GetValue<long>().Should().BePositive($"{Name(workload)} runs as a non-zero uid");
            container["securityContext"]?["allowPrivilegeEscalation"]?.GetValue<bool>().Should().BeFalse();
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Overlay_Images_ArePinnedAndTheSameForEveryWorkload(string overlay)
    {
        var images = Deployments(overlay).Append(MigrationJob(overlay)).Select(w => Container(w)["image"]!.GetValue<string>()).ToList();

        images.Should().AllSatisfy(i => i.Should().MatchRegex(Pinned().ToString(), "an exact version tag or a digest, never latest"));
        images.Distinct().Should().ContainSingle("the migration Job migrates for the version that rolls out");
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Overlay_MigrationJob_RunsBeforeTheDeployments(string overlay)
    {
        var job = MigrationJob(overlay);
        var annotations = job["metadata"]!["annotations"]!;

        Container(job)["args"]!.AsArray().Select(a => a!.GetValue<string>()).Should().Equal("migrate");
        annotations["argocd.argoproj.io/hook"]!.GetValue<string>().Should().Be("PreSync", "Argo CD runs it, to success, before it applies anything else");
        annotations["argocd.argoproj.io/hook-delete-policy"]!.GetValue<string>().Should().Contain("BeforeHookCreation");
        var jobWave = Wave(job);
        Deployments(overlay).Should().AllSatisfy(d => Wave(d).Should().BeGreaterThan(jobWave, $"{Name(d)} rolls out after the migration"));
        PodSpec(job)["restartPolicy"]!.GetValue<string>().Should().Be("Never");
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Overlay_Processes_DoNotMigrateAtStart(string overlay)
    {
        var config = Objects(overlay, "ConfigMap").Single(c => Name(c) == "flowkit-config");

        config["data"]!["Flowkit__MigrateOnStart"]!.GetValue<string>().Should().Be("false", "the Job migrates; pods of the old version keep running meanwhile");
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Overlay_ConfigurationAndSecrets_AreByReference(string overlay)
    {
        foreach (var workload in Deployments(overlay).Append(MigrationJob(overlay)))
        {
            var sources = Container(workload)["envFrom"]!.AsArray();
            sources.Select(s => s!["configMapRef"]?["name"]?.GetValue<string>()).Should().Contain("flowkit-config");
            sources.Select(s => s!["secretRef"]?["name"]?.GetValue<string>()).Should().Contain("flowkit-secrets");
            var inline = Container(workload)["env"]?.AsArray().Select(e => e!["name"]!.GetValue<string>()) ?? [];
            inline.Should().NotContain(n => n.Contains("Key", StringComparison.Ordinal) || n.StartsWith("ConnectionStrings", StringComparison.Ordinal), "secrets are never written into a manifest");
        }

        Objects(overlay, "Secret").Should().BeEmpty("the Secret flowkit-secrets is created outside the repository (docs/operations.md)");
        Objects(overlay, "ConfigMap").Should().Contain(c => Name(c) == "flowkit-config");
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Overlay_WorkerAutoscaler_ScalesOnFlowkitsBacklogMetric(string overlay)
    {
        var hpa = Objects(overlay, "HorizontalPodAutoscaler").Single();
        var external = hpa["spec"]!["metrics"]!.AsArray().Single(m => m!["type"]!.GetValue<string>() == "External")!;
        var metric = external["external"]!["metric"]!["name"]!.GetValue<string>();
        var adapter = YamlJson.Load(Repo.Read("deploy/k8s/monitoring/prometheus-adapter-values.yaml"));
        var rule = adapter["rules"]!["external"]!.AsArray().Single(r => r!["name"]!["as"]!.GetValue<string>() == metric)!;

        hpa["spec"]!["scaleTargetRef"]!["name"]!.GetValue<string>().Should().Be("flowkit-worker");
        hpa["spec"]!["minReplicas"]!.GetValue<long>().Should().BePositive();
        hpa["spec"]!["maxReplicas"]!.GetValue<long>().Should().BeGreaterThan(hpa["spec"]!["minReplicas"]!.GetValue<long>());
        rule["metricsQuery"]!.GetValue<string>().Should().Contain("flowkit_queue_messages").And.Contain("state=\"ready\"").And.Contain("flowkit-steps-");
        // The metric is Flowkit's own: the gauge flowkit.queue.messages, exported as flowkit_queue_messages.
        File.ReadAllText(Repo.PathOf("src/Flowkit.Host/Observability/OperationsGauges.cs")).Should().Contain("\"flowkit.queue.messages\"");
        Deployments(overlay).Single(d => Name(d) == "flowkit-worker")["spec"]!["replicas"].Should().BeNull("the autoscaler owns the worker count");
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Overlay_DisruptionBudgets_CoverEveryRole(string overlay)
    {
        var budgets = Objects(overlay, "PodDisruptionBudget");
        foreach (var deployment in Deployments(overlay))
        {
            var labels = deployment["spec"]!["template"]!["metadata"]!["labels"]!.AsObject();
            budgets.Should().ContainSingle(b => Selects(b["spec"]!["selector"]!["matchLabels"]!.AsObject(), labels), $"{Name(deployment)} has a budget");
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Overlay_NetworkPolicies_DenyByDefaultAndOpenTheApi(string overlay)
    {
        var policies = Objects(overlay, "NetworkPolicy");
        var deny = policies.Single(p => Name(p) == "flowkit-default-deny")["spec"]!;

        deny["policyTypes"]!.AsArray().Select(t => t!.GetValue<string>()).Should().BeEquivalentTo("Ingress", "Egress");
        deny["ingress"].Should().BeNull();
        deny["egress"].Should().BeNull();
        deny["podSelector"]!["matchLabels"]!["app.kubernetes.io/name"]!.GetValue<string>().Should().Be("flowkit");
        policies.Should().Contain(p => p["spec"]!["podSelector"]!["matchLabels"]!["app.kubernetes.io/component"] != null
            && p["spec"]!["podSelector"]!["matchLabels"]!["app.kubernetes.io/component"]!.GetValue<string>() == "api"
            && p["spec"]!["ingress"] != null);
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Overlay_Objects_AreInTheOverlaysNamespace(string overlay)
    {
        var objects = Kustomize.Render(overlay);
        var namespaces = objects.Select(o => o["metadata"]!["namespace"]?.GetValue<string>()).Distinct().ToList();

        namespaces.Should().ContainSingle().Which.Should().NotBeNullOrEmpty();
    }

    [Fact]
    public void Prod_ApiAndEngine_RunAtLeastTwoReplicas()
    {
        foreach (var deployment in Deployments("deploy/k8s/overlays/prod").Where(d => Name(d) != "flowkit-worker"))
        {
            deployment["spec"]!["replicas"]!.GetValue<long>().Should().BeGreaterThanOrEqualTo(2, Name(deployment));
        }
    }

    internal static List<JsonObject> Objects(string overlay, string kind) =>
        [.. Kustomize.Render(overlay).Where(o => o["kind"]!.GetValue<string>() == kind)];

    private static List<JsonObject> Deployments(string overlay) => Objects(overlay, "Deployment");

    private static JsonObject MigrationJob(string overlay) => Objects(overlay, "Job").Single();

    private static JsonNode PodSpec(JsonObject workload) => workload["spec"]!["template"]!["spec"]!;

    private static JsonNode Container(JsonObject workload) => PodSpec(workload)["containers"]!.AsArray().Single()!;

    private static string Name(JsonNode o) => o["metadata"]!["name"]!.GetValue<string>();

    private static string? Env(JsonNode container, string name) =>
        container["env"]?.AsArray().FirstOrDefault(e => e!["name"]!.GetValue<string>() == name)?["value"]?.GetValue<string>();

    private static int Wave(JsonObject o) =>
        int.Parse(o["metadata"]!["annotations"]?["argocd.argoproj.io/sync-wave"]?.GetValue<string>() ?? "0", System.Globalization.CultureInfo.InvariantCulture);

    private static bool Selects(JsonObject selector, JsonObject labels) =>
        selector.All(kv => labels[kv.Key]?.GetValue<string>() == kv.Value!.GetValue<string>());

    [GeneratedRegex(@"(@sha256:[0-9a-f]{64}$)|(:[0-9]+\.[0-9]+\.[0-9]+(-[a-z0-9.-]+)?$)|(:sha-[0-9a-f]{7,40}$)")]
    private static partial Regex Pinned();
}
