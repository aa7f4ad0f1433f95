using System.Text.RegularExpressions;
using Flowkit.Definitions.Reading;
using Flowkit.Definitions.Schema;
using Json.Schema;

namespace Flowkit.Definitions.Tests.Schema;

/// <summary>
/// The JSON Schema of definitions (issue #18): the committed file is the generated one, every example in examples/
/// and docs/ passes it, and documents the validator refuses for their shape fail it too.
/// </summary>
public sealed partial class WorkflowSchemaTests
{
    /// <summary>Set to 1 to rewrite schemas/workflow.json from the generator instead of comparing.</summary>
    private const string WriteVariable = "FLOWKIT_WRITE_SCHEMA";

    private static readonly Lazy<JsonSchema> Schema = new(() => JsonSchema.FromText(WorkflowSchema.Json));

    [Fact]
    public void CommittedSchema_EqualsGenerated()
    {
        var path = Path.Combine(Root(), "schemas", "workflow.json");
        if (Environment.GetEnvironmentVariable(WriteVariable) == "1")
        {
            File.WriteAllText(path, WorkflowSchema.Json);
        }

        File.Exists(path).Should().BeTrue($"{path} is committed; write it with {WriteVariable}=1 dotnet test --project tests/Flowkit.Definitions.Tests");
        File.ReadAllText(path).ReplaceLineEndings("\n").Should().Be(
            WorkflowSchema.Json, $"schemas/workflow.json is generated: rewrite it with {WriteVariable}=1 dotnet test --project tests/Flowkit.Definitions.Tests");
    }

    public static TheoryData<string, string> Examples()
    {
        var data = new TheoryData<string, string>();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(Root(), "examples"), "*.yaml").Order(StringComparer.Ordinal))
        {
            data.Add($"examples/{Path.GetFileName(file)}", File.ReadAllText(file));
        }

        foreach (var file in Directory.EnumerateFiles(Path.Combine(Root(), "docs"), "*.md", SearchOption.AllDirectories).Append(Path.Combine(Root(), "README.md")).Order(StringComparer.Ordinal))
        {
            var number = 0;
            foreach (Match block in YamlBlock().Matches(File.ReadAllText(file)))
            {
                number++;
                var yaml = block.Groups["yaml"].Value;
                // Whole definitions only: fragments that show one setting have no name and steps.
                if (yaml.StartsWith("name:", StringComparison.Ordinal) && yaml.Contains("\nsteps:", StringComparison.Ordinal))
                {
                    data.Add($"{Path.GetRelativePath(Root(), file)} block {number}", yaml);
                }
            }
        }

        return data;
    }

    [Fact]
    public void Examples_IncludeDocsAndExamplesFolder()
    {
        var labels = Examples().Select(row => row.Data.Item1).ToList();

        labels.Should().Contain(l => l.StartsWith("examples/", StringComparison.Ordinal));
        labels.Should().Contain(l => l.StartsWith("docs/workflow-language.md", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void Schema_Example_Validates(string label, string yaml)
    {
        var errors = Evaluate(yaml);

        errors.Should().BeEmpty($"{label} is a valid definition");
    }

    public static TheoryData<string, string> Invalid() => new()
    {
        { "no steps", "name: a\n" },
        { "bad name", "name: Bad Name\nsteps:\n  - { id: a, type: transform, with: {} }\n" },
        { "unknown top-level key", "name: a\nstep: []\nsteps:\n  - { id: a, type: transform, with: {} }\n" },
        { "unknown step type", "name: a\nsteps:\n  - { id: a, type: htp, with: { url: x } }\n" },
        { "http without url", "name: a\nsteps:\n  - { id: a, type: http, with: { method: GET } }\n" },
        { "http with a bad method", "name: a\nsteps:\n  - { id: a, type: http, with: { method: FETCH, url: x } }\n" },
        { "key of another step type", "name: a\nsteps:\n  - { id: a, type: transform, with: {}, message: hi }\n" },
        { "delay without for or until", "name: a\nsteps:\n  - { id: a, type: delay }\n" },
        { "bad duration", "name: a\ntimeout: soon\nsteps:\n  - { id: a, type: transform, with: {} }\n" },
        { "trigger of two kinds", "name: a\ntriggers:\n  - { webhook: { key: a }, cron: { expression: \"0 0 * * * ?\" } }\nsteps:\n  - { id: a, type: transform, with: {} }\n" },
        { "unknown respond mode", "name: a\ntriggers:\n  - webhook: { key: a, respond: output }\nsteps:\n  - { id: a, type: transform, with: {} }\n" },
        { "unknown misfire policy", "name: a\ntriggers:\n  - cron: { expression: \"0 0 * * * ?\", misfire: all }\nsteps:\n  - { id: a, type: transform, with: {} }\n" },
        { "retry attempts too many", "name: a\nsteps:\n  - { id: a, type: transform, with: {}, retry: { attempts: 1000 } }\n" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Schema_InvalidDefinition_Fails(string label, string yaml)
    {
        Evaluate(yaml).Should().NotBeEmpty($"'{label}' is not a valid definition");
        SharedCompilerErrors(yaml).Should().NotBeEmpty($"the validator refuses '{label}' too");
    }

    private static List<string> Evaluate(string yaml)
    {
        using var document = YamlDocumentReader.Read(yaml, DefinitionLimits.Default, TestContext.Current.CancellationToken);
        var results = Schema.Value.Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        return results.IsValid
            ? []
            : [.. (results.Details ?? []).Where(d => d.Errors is { Count: > 0 }).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}"))];
    }

    private static IReadOnlyList<ValidationError> SharedCompilerErrors(string yaml) =>
        Compiler.Definitions.Yaml(yaml).Errors;

    private static string Root()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Flowkit.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException($"No Flowkit.sln above {AppContext.BaseDirectory}.");
    }

    [GeneratedRegex(@"```ya?ml\n(?<yaml>.*?)```", RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex YamlBlock();
}
