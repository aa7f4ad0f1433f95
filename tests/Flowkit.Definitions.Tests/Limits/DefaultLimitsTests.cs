using System.Globalization;
using System.Text;
using static Flowkit.Definitions.Tests.Compiler.Definitions;

namespace Flowkit.Definitions.Tests.Limits;

/// <summary>
/// Each limit of Flowkit:Limits at its default refuses a definition just over it with a problem that names the field
/// and the setting (issue #19, findings 2, 5 and 8), and lets the definition at the limit through.
/// </summary>
public sealed class DefaultLimitsTests
{
    private static string Id(int i) => "s" + i.ToString("D4", CultureInfo.InvariantCulture);

    private static string Steps(int count, Func<int, string> extra)
    {
        var yaml = new StringBuilder("name: limits\nsteps:\n");
        for (var i = 0; i < count; i++)
        {
            yaml.Append(CultureInfo.InvariantCulture, $"  - {{ id: {Id(i)}, type: transform, with: {{}}{extra(i)} }}\n");
        }

        return yaml.ToString();
    }

    [Fact]
    public void Compile_OneStepOverMaxSteps_IsRefusedAtSteps()
    {
        Yaml(Steps(1_000, _ => "")).Errors.Should().BeEmpty();

        var compilation = Yaml(Steps(1_001, _ => ""));

        compilation.Errors.Should().ContainSingle().Which.Should().Match<ValidationError>(e =>
            e.Path == "$.steps" && e.Message.Contains("1,001 steps; at most 1,000", StringComparison.Ordinal)
            && e.Message.Contains("Flowkit:Limits:MaxSteps", StringComparison.Ordinal));
    }

    [Fact]
    public void Compile_FiveThousandParallelStepsWithHundredRetries_IsRefused()
    {
        // Finding 8 as reported: 5,000 parallel steps with 100 retries each validated cleanly.
        var compilation = Yaml(Steps(5_000, _ => ", needs: [], retry: { attempts: 100 }"));

        compilation.IsValid.Should().BeFalse();
        compilation.Errors.Should().Contain(e => e.Path == "$.steps" && e.Message.Contains("Flowkit:Limits:MaxSteps", StringComparison.Ordinal));
    }

    [Fact]
    public void Compile_MoreParallelStepsThanMaxFanOut_IsRefusedAtSteps()
    {
        Yaml(Steps(200, _ => ", needs: []")).Errors.Should().BeEmpty();

        var compilation = Yaml(Steps(201, _ => ", needs: []"));

        compilation.Errors.Should().ContainSingle().Which.Should().Match<ValidationError>(e =>
            e.Path == "$.steps" && e.Message.Contains("More than 200 steps can start at the same moment", StringComparison.Ordinal)
            && e.Message.Contains("Flowkit:Limits:MaxFanOut", StringComparison.Ordinal));
    }

    [Fact]
    public void Compile_WideLevelAfterTheStart_IsRefusedAtSteps()
    {
        // One root, then 201 steps that all wait only for it: they start together when it ends.
        var compilation = Yaml(Steps(202, i => i == 0 ? "" : $", needs: [{Id(0)}]"));

        compilation.Errors.Should().ContainSingle().Which.Message.Should().Contain("are 1 step(s) after the start, like 's0001'");
    }

    [Fact]
    public void Compile_RetryAttemptsOverMaxRetryAttempts_IsRefusedAtAttempts()
    {
        Yaml(Steps(1, _ => ", retry: { attempts: 25 }")).Errors.Should().BeEmpty();

        var compilation = Yaml(Steps(1, _ => ", retry: { attempts: 100 }"));

        compilation.Errors.Should().ContainSingle().Which.Should().Match<ValidationError>(e =>
            e.Path == "$.steps[0].retry.attempts" && e.Message.Contains("from 1 to 25 (setting Flowkit:Limits:MaxRetryAttempts)", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("* * * * * ?", "1s")]
    [InlineData("0/30 * * * * ?", "30s")]
    [InlineData("0,1 0 0 1 1 ?", "1s")]
    [InlineData("* * * 1 1 ? 2031", "1s")]
    [InlineData("0/20 59 * * * ?", "20s")]
    public void Compile_CronFiringMoreOftenThanMinCronInterval_IsRefusedAtExpression(string expression, string gap)
    {
        var yaml = $"name: often\ntriggers:\n  - cron: {{ expression: \"{expression}\" }}\nsteps:\n  - {{ id: a, type: transform, with: {{}} }}\n";

        var compilation = Yaml(yaml);

        compilation.Errors.Should().ContainSingle().Which.Should().Match<ValidationError>(e =>
            e.Path == "$.triggers[0].cron.expression" && e.Message.Contains("Flowkit:Limits:MinCronInterval", StringComparison.Ordinal));
        compilation.Errors[0].Message.Should().Contain($"fires {gap} apart");
    }

    [Theory]
    [InlineData("0 * * * * ?")]
    [InlineData("0 0/15 * * * ?")]
    [InlineData("0 0 9 ? * MON-FRI")]
    [InlineData("0 59,0 * * * ?")]
    public void Compile_CronAtLeastMinCronIntervalApart_IsValid(string expression)
    {
        var yaml = $"name: fine\ntriggers:\n  - cron: {{ expression: \"{expression}\", timezone: Europe/Berlin }}\nsteps:\n  - {{ id: a, type: transform, with: {{}} }}\n";

        Yaml(yaml).Errors.Should().BeEmpty();
    }

    [Fact]
    public void Compile_MoreTriggersThanMaxTriggers_IsRefusedAtTriggers()
    {
        var triggers = string.Concat(Enumerable.Range(0, 21).Select(i => $"  - webhook: {{ key: k{i} }}\n"));

        var compilation = Yaml($"name: hooks\ntriggers:\n{triggers}steps:\n  - {{ id: a, type: transform, with: {{}} }}\n");

        compilation.Errors.Should().ContainSingle().Which.Should().Match<ValidationError>(e =>
            e.Path == "$.triggers" && e.Message.Contains("Flowkit:Limits:MaxTriggers", StringComparison.Ordinal));
    }

    [Fact]
    public void Compile_MoreReferencesThanMaxReferences_IsRefusedAtTheFirstOneOver()
    {
        // 1,000 steps, each needing the (up to) eleven before it: 10,934 references.
        var compilation = Yaml(Steps(1_000, i => $", needs: [{string.Join(", ", Enumerable.Range(Math.Max(0, i - 11), Math.Min(i, 11)).Select(Id))}]"));

        compilation.Errors.Should().ContainSingle().Which.Should().Match<ValidationError>(e =>
            e.Path.StartsWith("$.steps[", StringComparison.Ordinal) && e.Path.Contains(".needs[", StringComparison.Ordinal)
            && e.Message.Contains("more than 10,000 step references", StringComparison.Ordinal));
    }

    [Fact]
    public void Compile_MoreProblemsThanMaxErrors_ListsTheFirstAndSaysItStopped()
    {
        var compilation = Yaml(Steps(300, _ => ", retry: { attempts: 0 }"));

        compilation.Errors.Should().HaveCount(101);
        compilation.Errors.Take(100).Should().AllSatisfy(e => e.Path.Should().EndWith(".retry.attempts"));
        compilation.Errors[^1].Should().Match<ValidationError>(e => e.Path == "$" && e.Message.Contains("Validation stopped after 100 problems", StringComparison.Ordinal));
    }

    [Fact]
    public void Compile_AliasesNestedDeeperThanMaxAliasNesting_IsRefused()
    {
        // Each anchor holds two aliases of the one before: nine levels of aliases, 512 copies of a short text.
        var yaml = new StringBuilder("name: nesting\nx0: &x0 hello\n");
        for (var i = 1; i <= 9; i++)
        {
            yaml.Append(CultureInfo.InvariantCulture, $"x{i}: &x{i} [*x{i - 1}, *x{i - 1}]\n");
        }

        yaml.Append("steps:\n  - { id: a, type: transform, with: { v: *x9 } }\n");

        var compilation = Yaml(yaml.ToString());

        compilation.Errors.Should().ContainSingle().Which.Should().Match<ValidationError>(e =>
            e.Path == "$" && e.Message.Contains("nests aliases 9 deep", StringComparison.Ordinal)
            && e.Message.Contains("Flowkit:Limits:MaxAliasNesting", StringComparison.Ordinal));
    }

    [Fact]
    public void Compile_YamlExpandingPastMaxExpandedBytes_IsRefused()
    {
        // 5 KB of text used 500 times: 2.5 MB written out, over the 2 MiB default.
        var yaml = new StringBuilder($"name: wide\nx: &x \"{new string('w', 5_000)}\"\nsteps:\n  - {{ id: a, type: transform, with: {{ v: [");
        yaml.Append(string.Join(",", Enumerable.Repeat("*x", 500)));
        yaml.Append("] } }\n");

        var compilation = Yaml(yaml.ToString());

        compilation.Errors.Should().ContainSingle().Which.Should().Match<ValidationError>(e =>
            e.Path == "$" && e.Message.Contains("expands to more than 2,097,152 bytes", StringComparison.Ordinal)
            && e.Message.Contains("Flowkit:Limits:MaxExpandedBytes", StringComparison.Ordinal));
    }

    [Fact]
    public void Compile_TextOverMaxDefinitionBytes_IsRefused()
    {
        var yaml = $"name: big\ndescription: \"{new string('d', 1024 * 1024)}\"\nsteps:\n  - {{ id: a, type: transform, with: {{}} }}\n";

        var compilation = Yaml(yaml);

        compilation.Errors.Should().ContainSingle().Which.Should().Match<ValidationError>(e =>
            e.Path == "$" && e.Message.Contains("at most 1,048,576 bytes are allowed (setting Flowkit:Limits:MaxDefinitionBytes)", StringComparison.Ordinal));
    }
}
