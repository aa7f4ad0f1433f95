using System.Globalization;
using System.Text;
using static Flowkit.Definitions.Tests.Compiler.Definitions;

namespace Flowkit.Definitions.Tests.Compiler;

/// <summary>Big definitions compile correctly (how fast is the benchmark's business, not a test's).</summary>
public sealed class LargeDefinitionTests
{
    private const int Count = 1_000;

    [Fact]
    public void Compile_ThousandSteps_GivesTheRuleEdges()
    {
        // Blocks of ten: a condition whose then-branch is the next step, two steps in parallel, a join, a chain.
        var yaml = new StringBuilder("name: big\nsteps:\n");
        for (var i = 0; i < Count; i++)
        {
            var id = Id(i);
            yaml.Append((i % 10) switch
            {
                0 => $"  - {{ id: {id}, type: condition, if: \"input.n > {i}\", then: [{Id(i + 1)}] }}\n",
                2 => $"  - {{ id: {id}, type: transform, with: {{ a: \"{{{{ steps.{Id(i - 2)}.output.result }}}}\" }}, needs: [{Id(i - 2)}] }}\n",
                3 => $"  - {{ id: {id}, type: transform, with: {{}}, needs: [{Id(i - 2)}, {Id(i - 1)}] }}\n",
                _ => $"  - {{ id: {id}, type: http, with: {{ url: \"http://127.0.0.1:8080/{{{{ steps.{Id(i - 1)}.output.id }}}}\" }}, retry: {{ attempts: 3 }} }}\n",
            });
        }

        var compilation = Yaml(yaml.ToString());

        compilation.Errors.Should().BeEmpty();
        var plan = compilation.Plan!;
        plan.Steps.Should().HaveCount(Count);
        plan.Roots.Select(r => r.Id).Should().Equal("s0000");
        for (var i = 0; i < Count; i++)
        {
            string[] expected = (i % 10) switch
            {
                0 when i == 0 => [],
                0 => [Id(i - 1)],
                1 => [$"{Id(i - 1)}:True"],
                2 => [Id(i - 2)],
                3 => [Id(i - 2), Id(i - 1)],
                _ => [Id(i - 1)],
            };
            plan[Id(i)].Needs.Select(n => n.Branch is null ? n.StepId : $"{n.StepId}:{n.Branch}").Should().Equal(expected);
            string[] references = (i % 10) switch
            {
                0 or 3 => [],
                2 => [Id(i - 2)],
                _ => [Id(i - 1)],
            };
            plan[Id(i)].References.Should().Equal(references);
        }

        plan[Id(0)].Dependents.Should().Equal(Id(1), Id(2));
        plan[Id(Count - 1)].Dependents.Should().BeEmpty();
    }

    [Fact]
    public void Compile_ThousandStepCircle_NamesItShortly()
    {
        var yaml = new StringBuilder("name: big\nsteps:\n");
        for (var i = 0; i < Count; i++)
        {
            yaml.Append(CultureInfo.InvariantCulture, $"  - {{ id: {Id(i)}, type: transform, with: {{}}{(i == 0 ? $", needs: [{Id(Count - 1)}]" : string.Empty)} }}\n");
        }

        var compilation = Yaml(yaml.ToString());

        compilation.Errors.Should().ContainSingle().Which.Should().Be(new ValidationError(
            "$.steps[0].needs[0]",
            "These steps wait for each other in a circle, so none of them can ever start: s0000 -> s0001 -> s0002 -> s0003 -> s0004 -> (991 more) -> s0996 -> s0997 -> s0998 -> s0999 -> s0000 (each step waits for the one before it). Remove one of these dependencies."));
    }

    private static string Id(int i) => "s" + i.ToString("D4", CultureInfo.InvariantCulture);
}
