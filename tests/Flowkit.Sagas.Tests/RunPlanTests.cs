using Flowkit.Sagas.Planning;

namespace Flowkit.Sagas.Tests;

public sealed class RunPlanTests
{
    [Fact]
    public void Roots_StepsWithoutNeeds_AreRoots()
    {
        var spec = System.Text.Json.JsonDocument.Parse("{}").RootElement;
        var a = new PlanStep("a", 0, StepTypes.Transform, [], ["b"], spec, [], RetryPolicy.None, null, false);
        var b = new PlanStep("b", 1, StepTypes.Transform, [new Need("a")], [], spec, [], RetryPolicy.None, null, false);
        var plan = new RunPlan([a, b], RunOptions.Default);
        plan.Roots.Should().ContainSingle().Which.Id.Should().Be("a");
    }
}
