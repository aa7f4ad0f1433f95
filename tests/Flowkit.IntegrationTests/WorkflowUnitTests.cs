using Flowkit.Api.Workflows;

namespace Flowkit.IntegrationTests;

/// <summary>When an update is the same definition (issue #4): pure logic, no services.</summary>
public sealed class WorkflowUnitTests
{
    [Fact]
    public void SameDefinition_KeysReorderedAndSpaced_AsJsonbStoresThem_IsSame() =>
        WorkflowsApi.SameDefinition(
            """{"name": "a", "steps": [{"id": "x", "type": "transform", "with": {"b": 2, "a": 1}}], "description": "d"}""",
            """{"name":"a","description":"d","steps":[{"id":"x","type":"transform","with":{"a":1,"b":2}}]}""")
            .Should().BeTrue();

    [Theory]
    [InlineData("""{"name":"a","steps":[{"id":"x"},{"id":"y"}]}""")]
    [InlineData("""{"name":"a","steps":[{"id":"y"},{"id":"x"}],"description":"d"}""")]
    [InlineData("""{"name":"a","steps":[{"id":"y"},{"id":"x"}],"timeout":"1m"}""")]
    public void SameDefinition_AnyValueOrStepOrderChanged_IsNotSame(string changed) =>
        WorkflowsApi.SameDefinition("""{"name":"a","steps":[{"id":"y"},{"id":"x"}]}""", changed).Should().BeFalse();
}
