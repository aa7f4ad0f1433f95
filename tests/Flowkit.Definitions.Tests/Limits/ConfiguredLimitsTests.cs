using System.Globalization;
using System.Text;
using System.Text.Json;
using static Flowkit.Definitions.Tests.Compiler.Definitions;

namespace Flowkit.Definitions.Tests.Limits;

/// <summary>Limits come from configuration; stored versions are not held to them; the caller's cancellation stops the work (issue #19).</summary>
public sealed class ConfiguredLimitsTests
{
    private static string Chain(int count, int attempts = 5)
    {
        var yaml = new StringBuilder("name: chain\nsteps:\n");
        for (var i = 0; i < count; i++)
        {
            yaml.Append(CultureInfo.InvariantCulture, $"  - {{ id: s{i}, type: transform, with: {{}}, retry: {{ attempts: {attempts} }} }}\n");
        }

        return yaml.ToString();
    }

    [Fact]
    public void Compile_ConfiguredLimits_AreTheOnesApplied()
    {
        var limits = new DefinitionLimits { MaxSteps = 3, MaxRetryAttempts = 4 };

        var compilation = SharedCompiler.Compile(Chain(3), DocumentFormat.Yaml, limits, TestContext.Current.CancellationToken);
        var tooMany = SharedCompiler.Compile(Chain(4), DocumentFormat.Yaml, limits, TestContext.Current.CancellationToken);

        compilation.Errors.Select(e => e.Path).Should().Equal("$.steps[0].retry.attempts", "$.steps[1].retry.attempts", "$.steps[2].retry.attempts");
        compilation.Errors[0].Message.Should().Contain("from 1 to 4 (setting Flowkit:Limits:MaxRetryAttempts)");
        tooMany.Errors.Should().ContainSingle().Which.Message.Should().Contain("4 steps; at most 3 are allowed");
    }

    [Fact]
    public void Compile_ConfiguredMaxErrorsAndSuggestions_BoundTheAnswer()
    {
        var limits = new DefinitionLimits { MaxErrors = 5, MaxSuggestions = 2 };
        var yaml = "name: typos\nsteps:\n" + string.Concat(Enumerable.Range(0, 10).Select(i => $"  - {{ id: s{i}, type: transfrom, with: {{}} }}\n"));

        var compilation = SharedCompiler.Compile(yaml, DocumentFormat.Yaml, limits, TestContext.Current.CancellationToken);

        compilation.Errors.Should().HaveCount(6);
        compilation.Errors.Count(e => e.Message.Contains("Did you mean 'transform'?", StringComparison.Ordinal)).Should().Be(2);
        compilation.Errors[^1].Message.Should().Contain("Validation stopped after 5 problems");
    }

    [Fact]
    public void Compile_StoredDefinitionOverTodaysQuotas_StillCompiles()
    {
        // A version accepted under larger limits keeps running after an operator lowers them.
        var accepted = SharedCompiler.Compile(Chain(5, attempts: 50), DocumentFormat.Yaml, new DefinitionLimits { MaxRetryAttempts = 100 }, TestContext.Current.CancellationToken);
        accepted.Errors.Should().BeEmpty();
        using var stored = JsonDocument.Parse(accepted.CanonicalJson!);

        var compilation = SharedCompiler.Compile(stored.RootElement);

        compilation.Errors.Should().BeEmpty();
        compilation.Plan!.Steps.Should().HaveCount(5).And.AllSatisfy(s => s.Retry.Attempts.Should().Be(50));
    }

    [Fact]
    public void Compile_CancelledByTheCaller_Stops()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        var compile = () => SharedCompiler.Compile(HostileDefinitionTests.UnknownNeedsThroughAliases(500, 400), DocumentFormat.Yaml, DefinitionLimits.Default, cancelled.Token);

        compile.Should().Throw<OperationCanceledException>();
    }
}
