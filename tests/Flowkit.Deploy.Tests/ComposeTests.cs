using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Json.Schema;

namespace Flowkit.Deploy.Tests;

/// <summary>
/// deploy/compose (issue #15): the file is valid by the Compose specification's JSON schema (vendored in Schemas/,
/// see Schemas/README.md), and it is the stack the issue asks for: the three services, the Flowkit roles at their
/// replica counts after a one-shot migration, Prometheus and Grafana wired to the repository's rules and dashboards,
/// and the log pipeline, every image pinned and every mounted file present.
/// </summary>
public sealed partial class ComposeTests
{
    private static readonly JsonNode Compose = YamlJson.Load(Repo.Read("deploy/compose/compose.yaml"));

    private static JsonObject Services => Compose["services"]!.AsObject();

    [Fact]
    public void Compose_File_IsValidByTheComposeSpecSchema()
    {
        var schema = ComposeSchema();

        var result = schema.Evaluate(YamlJson.ToElement(Compose), new EvaluationOptions { OutputFormat = OutputFormat.List });

        var errors = (result.Details ?? []).Where(d => d.Errors is { Count: > 0 }).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}"));
        result.IsValid.Should().BeTrue(string.Join(Environment.NewLine, errors));
    }

    [Fact]
    public void ComposeSchema_InvalidFile_IsRefused()
    {
        // The check can fail: a misspelt key and a replica count that is not a number are refused.
        var schema = ComposeSchema();
        var bad = YamlJson.Load("services:\n  api:\n    image: x:1.0.0\n    deploy: { replicas: many }\n    enviroment: { A: b }\n");

        schema.Evaluate(YamlJson.ToElement(bad)).IsValid.Should().BeFalse();
    }

    [Theory]
    [InlineData("api", "api,scheduler", 1)]
    [InlineData("engine", "engine", 2)]
    [InlineData("worker", "worker", 3)]
    public void Compose_FlowkitRole_RunsItsRolesAtItsReplicasAfterMigration(string service, string roles, int replicas)
    {
        var s = Services[service]!;

        s["environment"]!["Flowkit__Roles"]!.GetValue<string>().Should().Be(roles);
        ((int?)s["deploy"]?["replicas"]?.GetValue<long>() ?? 1).Should().Be(replicas);
        s["depends_on"]!["migrate"]!["condition"]!.GetValue<string>().Should().Be("service_completed_successfully");
        s["environment"]!["Flowkit__MigrateOnStart"]!.GetValue<string>().Should().Be("false");
        s["image"]!.GetValue<string>().Should().Be(Services["migrate"]!["image"]!.GetValue<string>(), "one image for every role");
    }

    [Fact]
    public void Compose_Migrate_RunsTheMigrateCommandOnce()
    {
        var migrate = Services["migrate"]!;

        migrate["command"]!.AsArray().Select(c => c!.GetValue<string>()).Should().Equal("migrate");
        migrate["restart"]!.GetValue<string>().Should().Be("no");
        migrate["depends_on"]!["postgres"]!["condition"]!.GetValue<string>().Should().Be("service_healthy");
    }

    [Fact]
    public void Compose_Services_AreTheWholeStack()
    {
        Services.Select(s => s.Key).Should().Contain(["postgres", "rabbitmq", "redis", "migrate", "api", "engine", "worker", "prometheus", "grafana", "elasticsearch", "kibana", "kibana-setup", "filebeat"]);
        Services["rabbitmq"]!["image"]!.GetValue<string>().Should().EndWith("-management", "the management UI is part of the stack");
        Services["rabbitmq"]!["ports"]!.AsArray().Select(p => p!.GetValue<string>()).Should().Contain(p => p.EndsWith(":15672", StringComparison.Ordinal));
    }

    [Fact]
    public void Compose_Images_ArePinnedToExactVersions()
    {
        foreach (var (name, service) in Services)
        {
            var image = service!["image"]!.GetValue<string>();
            if (image.StartsWith("${FLOWKIT_IMAGE", StringComparison.Ordinal))
            {
                continue; // Flowkit's own image, built from the Dockerfile (or the tag the user names).
            }

            image.Should().MatchRegex(Pinned().ToString(), $"service {name} pins its image");
        }
    }

    [Fact]
    public void Compose_MountedFiles_ExistInTheRepository()
    {
        foreach (var (name, service) in Services)
        {
            foreach (var volume in service!["volumes"]?.AsArray().Select(v => v!.GetValue<string>()) ?? [])
            {
                var source = volume.Split(':')[0];
                if (source.StartsWith('.'))
                {
                    var path = Path.GetFullPath(Path.Combine(Repo.PathOf("deploy/compose"), source));
                    (File.Exists(path) || Directory.Exists(path)).Should().BeTrue($"{name} mounts {source}");
                }
            }
        }
    }

    [Fact]
    public void Compose_Grafana_ProvisionsTheRepositoryDashboardsFromPrometheus()
    {
        var grafana = Services["grafana"]!;
        var provider = YamlJson.Load(Repo.Read("deploy/grafana/provisioning/dashboards/flowkit.yml"));
        var dashboardsPath = provider["providers"]![0]!["options"]!["path"]!.GetValue<string>();
        var volumes = grafana["volumes"]!.AsArray().Select(v => v!.GetValue<string>()).ToList();

        volumes.Should().Contain($"../grafana/dashboards:{dashboardsPath}:ro");
        volumes.Should().Contain("../grafana/provisioning:/etc/grafana/provisioning:ro");
        grafana["environment"]!["PROMETHEUS_URL"]!.GetValue<string>().Should().Be("http://prometheus:9090", "the provisioned datasource reads the variable PROMETHEUS_URL");
    }

    [Fact]
    public void Compose_Prometheus_ScrapesEveryReplicaWithTheRepositoryRules()
    {
        var local = YamlJson.Load(Repo.Read("deploy/prometheus/prometheus.yml"));
        var compose = YamlJson.Load(Repo.Read("deploy/compose/prometheus.yml"));
        var job = compose["scrape_configs"]![0]!;

        job["job_name"]!.GetValue<string>().Should().Be(local["scrape_configs"]![0]!["job_name"]!.GetValue<string>(), "rules and dashboard select job=\"flowkit\"");
        job["dns_sd_configs"]![0]!["names"]!.AsArray().Select(n => n!.GetValue<string>()).Should().BeEquivalentTo("api", "engine", "worker");
        compose["rule_files"]!.ToJsonString().Should().Be(local["rule_files"]!.ToJsonString());
        Services["prometheus"]!["volumes"]!.AsArray().Select(v => v!.GetValue<string>()).Should().Contain("../prometheus/rules:/etc/prometheus/rules:ro");
    }

    [Fact]
    public void Compose_Filebeat_ParsesAndIndexesAsTheLoggingPipeline()
    {
        var reference = YamlJson.Load(Repo.Read("deploy/logging/filebeat.yml"));
        var compose = YamlJson.Load(Repo.Read("deploy/compose/filebeat.yml"));

        compose["filebeat.inputs"]![0]!["parsers"]!.ToJsonString().Should().Be(reference["filebeat.inputs"]![0]!["parsers"]!.ToJsonString());
        compose["output.elasticsearch"]!["index"]!.ToJsonString().Should().Be(reference["output.elasticsearch"]!["index"]!.ToJsonString());
        compose["setup.template.append_fields"]!.ToJsonString().Should().Be(reference["setup.template.append_fields"]!.ToJsonString());
        compose["setup.template.pattern"]!.ToJsonString().Should().Be(reference["setup.template.pattern"]!.ToJsonString());
    }

    /// <summary>
    /// The vendored schema names draft-07 as <c>https://json-schema.org/draft-07/schema</c>; JsonSchema.Net knows the
    /// dialect by its canonical id, so the id is rewritten in memory (the file stays as published).
    /// </summary>
    private static JsonSchema ComposeSchema() => Schema.Value;

    // Once per test run: JsonSchema.Net registers a schema by its $id and refuses a second registration.
    private static readonly Lazy<JsonSchema> Schema = new(() =>
        JsonSchema.FromText(Repo.Read("tests/Flowkit.Deploy.Tests/Schemas/compose-spec.json")
            .Replace("\"https://json-schema.org/draft-07/schema\"", "\"http://json-schema.org/draft-07/schema#\"", StringComparison.Ordinal)));

    // PostgreSQL's releases have two parts (15.10): that is its exact version.
    [GeneratedRegex(@"(^postgres:[0-9]+\.[0-9]+(-[a-z]+)?$)|:v?[0-9]+\.[0-9]+\.[0-9]+(-[a-z0-9.-]+)?(@sha256:[0-9a-f]{64})?$")]
    private static partial Regex Pinned();
}
