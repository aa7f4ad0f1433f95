using System.Diagnostics;
using System.Globalization;
using System.Text;
using static Flowkit.Definitions.Tests.Compiler.Definitions;

namespace Flowkit.Definitions.Tests.Limits;

/// <summary>
/// Definitions written to make validation expensive (issue #19, findings 2 and 5) are refused quickly, with
/// problems that name the field, and never throw. The ceiling is generous on purpose: the bounded compiler takes
/// milliseconds here, the unbounded one took minutes; a loaded machine must not make the test flaky.
/// </summary>
public sealed class HostileDefinitionTests
{
    private static readonly TimeSpan Ceiling = TimeSpan.FromSeconds(10);

    /// <summary>Every step needs the same aliased list of unknown ids: each one used to be compared with every step id.</summary>
    public static string UnknownNeedsThroughAliases(int steps, int unknown)
    {
        var yaml = new StringBuilder("name: hostile\nsteps:\n");
        var ids = string.Join(",", Enumerable.Range(0, unknown).Select(i => "q" + i.ToString(CultureInfo.InvariantCulture)));
        yaml.Append(CultureInfo.InvariantCulture, $"  - {{ id: p0, type: transform, with: {{}}, needs: &n [{ids}] }}\n");
        for (var i = 1; i < steps; i++)
        {
            yaml.Append(CultureInfo.InvariantCulture, $"  - {{ id: p{i}, type: transform, with: {{}}, needs: *n }}\n");
        }

        return yaml.ToString();
    }

    /// <summary>The "billion laughs": each level lists the one before it ten times.</summary>
    public static string AliasBomb(int levels)
    {
        var yaml = new StringBuilder("name: bomb\nx0: &x0 \"" + new string('l', 100) + "\"\n");
        for (var i = 1; i <= levels; i++)
        {
            var previous = $"*x{i - 1}";
            yaml.Append(CultureInfo.InvariantCulture, $"x{i}: &x{i} [{string.Join(",", Enumerable.Repeat(previous, 10))}]\n");
        }

        yaml.Append(CultureInfo.InvariantCulture, $"steps:\n  - {{ id: a, type: transform, with: {{ big: *x{levels} }} }}\n");
        return yaml.ToString();
    }

    /// <summary>A value 60 levels deep, used again 10 levels down: each part is within the depth limit, the whole is not.</summary>
    public static string DeepAlias()
    {
        var deep = new string('[', 60) + "1" + new string(']', 60);
        return $"name: deep\nd: &d {deep}\nsteps:\n  - {{ id: a, type: transform, with: {{ a: {{ b: {{ c: {{ d: {{ e: {{ f: {{ g: {{ h: *d }} }} }} }} }} }} }} }} }}\n";
    }

    [Fact]
    public void Compile_UnknownNeedsMultipliedByAliases_StopsQuicklyWithBoundedProblems()
    {
        // About 13 KB: 500 steps that each need the same 400 unknown ids.
        var yaml = UnknownNeedsThroughAliases(500, 400);

        var watch = Stopwatch.StartNew();
        var compilation = Yaml(yaml);
        watch.Stop();

        compilation.IsValid.Should().BeFalse();
        watch.Elapsed.Should().BeLessThan(Ceiling);
        compilation.Errors.Count.Should().BeLessThanOrEqualTo(DefinitionLimits.Default.MaxErrors + 1);
        compilation.Errors.Count(e => e.Message.Contains("Did you mean", StringComparison.Ordinal))
            .Should().BeLessThanOrEqualTo(DefinitionLimits.Default.MaxSuggestions);
    }

    [Fact]
    public void Compile_AliasBomb_IsRefusedBeforeItExpands()
    {
        var yaml = AliasBomb(9);
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var watch = Stopwatch.StartNew();
        var compilation = Yaml(yaml);
        watch.Stop();
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;

        watch.Elapsed.Should().BeLessThan(Ceiling);
        allocated.Should().BeLessThan(64L << 20, "the expansion is counted while reading, not built and then measured");
        compilation.Errors.Should().ContainSingle().Which.Should().Match<ValidationError>(e =>
            e.Path == "$" && e.Message.Contains("expands to more than", StringComparison.Ordinal));
    }

    [Fact]
    public void Compile_AliasUsedDeeperThanTheDepthLimit_IsAProblemNotAnException()
    {
        var compilation = Yaml(DeepAlias());

        compilation.Errors.Should().ContainSingle().Which.Should().Match<ValidationError>(e =>
            e.Path == "$" && e.Message.Contains("nested more than 64 levels deep", StringComparison.Ordinal));
    }
}
