using System.Text.Json;
using Flowkit.Testing;

namespace Flowkit.IntegrationTests;

/// <summary>The slice of issue #3: REST -> run saga in PostgreSQL -> RabbitMQ -> worker -> back -> succeeded.</summary>
[Collection(FlowkitCollection.Name)]
public sealed class WalkingSkeletonTests(FlowkitFixture flowkit)
{
    [Fact]
    public async Task Run_TwoTransformSteps_SucceedsWithBothOutputs()
    {
        var name = Api.UniqueName("greet");
        await flowkit.Client.CreateWorkflowAsync($$$"""
            name: {{{name}}}
            steps:
              - id: hello
                type: transform
                with:
                  greeting: "Hello, {{ input.name }}"
                  length: "{{ input.name.length }}"
              - id: shout
                type: transform
                with:
                  loud: "{{ steps.hello.output.greeting.toUpperCase() }}!"
                  length: "{{ steps.hello.output.length }}"
            """);

        var runId = await flowkit.Client.StartRunAsync(name, new { name = "Ada" });
        var run = await flowkit.Client.WaitForRunEndAsync(runId);

        run.GetProperty("status").GetString().Should().Be("succeeded", run.ToString());
        var steps = run.GetProperty("steps").EnumerateArray().ToArray();
        steps.Select(s => s.GetProperty("id").GetString()).Should().Equal("hello", "shout");
        steps.Should().AllSatisfy(s => s.GetProperty("status").GetString().Should().Be("succeeded"));
        steps[0].GetProperty("output").GetProperty("greeting").GetString().Should().Be("Hello, Ada");
        steps[0].GetProperty("output").GetProperty("length").GetInt32().Should().Be(3);
        steps[1].GetProperty("output").GetProperty("loud").GetString().Should().Be("HELLO, ADA!");
        steps[1].GetProperty("output").GetProperty("length").ValueKind.Should().Be(JsonValueKind.Number);
    }

    [Fact]
    public async Task Run_ManyStepsFinishingAtOnce_LosesNoUpdate()
    {
        // Forty parallel steps finish at nearly the same time, so their StepFinished messages reach the saga
        // concurrently. Each one decrements the run's remaining count and the join's pending needs; without the
        // per-run row lock, concurrent transitions would overwrite each other and the run would never finish.
        const int width = 40;
        var name = Api.UniqueName("fanout");
        var yaml = new System.Text.StringBuilder($"name: {name}\nsteps:\n");
        for (var i = 1; i <= width; i++)
        {
            yaml.Append(System.Globalization.CultureInfo.InvariantCulture, $"  - {{ id: part{i}, type: transform, needs: [], with: {{ n: {i} }} }}\n");
        }

        var parts = Enumerable.Range(1, width).Select(i => $"part{i}").ToArray();
        yaml.Append(System.Globalization.CultureInfo.InvariantCulture, $"  - id: join\n    type: transform\n    needs: [{string.Join(", ", parts)}]\n");
        yaml.Append(System.Globalization.CultureInfo.InvariantCulture, $"    with: {{ total: \"{{{{ {string.Join(" + ", parts.Select(p => $"steps.{p}.output.n"))} }}}}\" }}\n");
        await flowkit.Client.CreateWorkflowAsync(yaml.ToString());

        var runId = await flowkit.Client.StartRunAsync(name);
        var run = await flowkit.Client.WaitForRunEndAsync(runId, TimeSpan.FromSeconds(60));

        run.GetProperty("status").GetString().Should().Be("succeeded", run.ToString());
        var steps = run.GetProperty("steps").EnumerateArray().ToArray();
        steps.Should().HaveCount(width + 1);
        steps.Should().AllSatisfy(s =>
        {
            s.GetProperty("status").GetString().Should().Be("succeeded");
            s.GetProperty("attempts").GetInt32().Should().Be(1);
        });
        steps[^1].GetProperty("output").GetProperty("total").GetInt32().Should().Be(width * (width + 1) / 2);
    }
}
