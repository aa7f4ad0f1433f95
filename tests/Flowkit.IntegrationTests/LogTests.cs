using System.Text.Json;
using System.Text.RegularExpressions;
using Flowkit.Testing;

namespace Flowkit.IntegrationTests;

/// <summary>ECS JSON log lines on stdout, and the fields the Filebeat pipeline and Kibana objects use (issue #11).</summary>
[Collection(ProcessCollection.Name)]
public sealed partial class LogTests(ApiOnlyFixture flowkit)
{
    private static readonly string[] EcsFields = ["@timestamp", "log.level", "message", "ecs.version", "service.name", "trace.id", "span.id"];

    [Fact]
    public async Task Logs_RunOnAnEngineWritingJson_EveryLineIsEcsJsonAndTheRunsLinesCarryItsIds()
    {
        var name = Api.UniqueName("logs");
        await flowkit.Client.CreateWorkflowAsync($$"""
            name: {{name}}
            steps:
              - id: check
                type: condition
                if: "input.n > 1"
                then: [big]
                else: [small]
              - id: big
                type: transform
                with: { size: big }
              - id: small
                type: transform
                with: { size: small }
            """);
        using var engine = flowkit.StartProcess("engine,worker", new Dictionary<string, string?> { ["Flowkit:Observability:LogFormat"] = "json" });

        var runId = await flowkit.Client.StartRunAsync(name, new { n = 2 });
        // A process start on a loaded machine can take a while; the failure names what the process said.
        var ended = await Eventually.UntilAsync(
            () => flowkit.Client.GetRunAsync(runId),
            run => run.Status() is "succeeded" or "failed" or "cancelled" || engine.HasExited,
            TimeSpan.FromSeconds(120),
            $"run {runId} to end on the engine process; its output: {engine.Output}");
        ended.Status().Should().Be("succeeded", engine.Output);
        var lines = await Eventually.UntilAsync(
            () => Task.FromResult(engine.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)),
            all => all.Any(l => l.Contains("RunSucceeded", StringComparison.Ordinal) && l.Contains(runId.ToString(), StringComparison.Ordinal)),
            TimeSpan.FromSeconds(10),
            "the RunSucceeded line");

        var parsed = lines.Select(l => Parse(l, engine.Output)).ToList();
        parsed.Should().AllSatisfy(line =>
        {
            line.Should().ContainKeys("@timestamp", "log.level", "message", "service.name");
            DateTimeOffset.Parse(line["@timestamp"].GetString()!, System.Globalization.CultureInfo.InvariantCulture).Should().BeAfter(DateTimeOffset.UnixEpoch);
        });

        var runLines = parsed.Where(l => l.TryGetValue("flowkit.run_id", out var id) && id.GetString() == runId.ToString()).ToList();
        var events = runLines.Select(l => l["flowkit.event"].GetString()).ToList();
        events.Should().ContainInOrder("RunStarted", "StepReady", "StepSucceeded", "StepSkipped", "RunSucceeded");
        runLines.Should().AllSatisfy(line =>
        {
            line.Should().ContainKeys(EcsFields);
            line.Should().ContainKeys("flowkit.workflow", "flowkit.workspace", "flowkit.version");
            line["flowkit.workflow"].GetString().Should().Be(name);
            line["flowkit.workspace"].GetString().Should().Be("default");
        });
        runLines.Where(l => l["flowkit.event"].GetString()!.StartsWith("Step", StringComparison.Ordinal))
            .Should().AllSatisfy(l => l.Should().ContainKeys("flowkit.step_id", "flowkit.attempt", "flowkit.step_type"));

        // What the pipeline and the Kibana objects read must be on the lines of a run.
        var present = runLines.SelectMany(l => l.Keys).ToHashSet(StringComparer.Ordinal);
        UsedFields().Should().NotBeEmpty().And.OnlyContain(f => present.Contains(f),
            $"deploy/logging uses these fields and the run's lines carry {string.Join(", ", present.Order())}");
    }

    /// <summary>Every field that deploy/logging's Filebeat configuration and Kibana saved objects refer to.</summary>
    private static HashSet<string> UsedFields()
    {
        var root = Path.Combine(ServiceEndpoints.RepositoryRoot(), "deploy", "logging");
        var fields = new HashSet<string>(StringComparer.Ordinal);
        var filebeat = File.ReadAllText(Path.Combine(root, "filebeat.yml"));
        fields.UnionWith(FilebeatReference().Matches(filebeat).Select(m => m.Groups["field"].Value));
        foreach (Match list in HasFields().Matches(filebeat))
        {
            fields.UnionWith(list.Groups["fields"].Value.Split(',').Select(f => f.Trim().Trim('"')));
        }

        foreach (var line in File.ReadLines(Path.Combine(root, "kibana", "flowkit.ndjson")))
        {
            var attributes = JsonDocument.Parse(line).RootElement.GetProperty("attributes");
            if (attributes.TryGetProperty("timeFieldName", out var time))
            {
                fields.Add(time.GetString()!);
            }

            if (attributes.TryGetProperty("columns", out var columns))
            {
                fields.UnionWith(columns.EnumerateArray().Select(c => c.GetString()!));
            }

            if (attributes.TryGetProperty("sort", out var sort))
            {
                fields.UnionWith(sort.EnumerateArray().Select(s => s[0].GetString()!));
            }

            if (attributes.TryGetProperty("kibanaSavedObjectMeta", out var meta))
            {
                var source = JsonDocument.Parse(meta.GetProperty("searchSourceJSON").GetString()!).RootElement;
                var query = source.GetProperty("query").GetProperty("query").GetString()!;
                fields.UnionWith(KqlField().Matches(query).Select(m => m.Groups["field"].Value));
            }
        }

        return fields;
    }

    private static Dictionary<string, JsonElement> Parse(string line, string output)
    {
        try
        {
            return JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(line)!;
        }
        catch (JsonException ex)
        {
            throw new InvalidOperationException($"Not a JSON log line: {line}\n(all output: {output})", ex);
        }
    }

    // %{[service.name]} in an index name, and `- name: flowkit.run_id` in the template's fields.
    [GeneratedRegex("""(%\{\[(?<field>[^\]]+)\]\})|(-\s+name:\s+(?<field>[\w@.]+))|(message_key:\s+(?<field>[\w@.]+))""")]
    private static partial Regex FilebeatReference();

    [GeneratedRegex("""has_fields:\s*\[(?<fields>[^\]]*)\]""")]
    private static partial Regex HasFields();

    [GeneratedRegex("""(?<field>[@\w][\w.]*)\s*:""")]
    private static partial Regex KqlField();
}
