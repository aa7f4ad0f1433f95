using System.Net;
using System.Text.Json;
using Flowkit.Definitions.Schema;
using Flowkit.Testing;

namespace Flowkit.IntegrationTests;

/// <summary>The JSON Schema of definitions as the API serves it (issue #18): anonymous, the generated text, and the OpenAPI document's source.</summary>
[Collection(FlowkitCollection.Name)]
public sealed class WorkflowSchemaEndpointTests(FlowkitFixture flowkit)
{
    [Fact]
    public async Task Schema_Anonymous_ServesTheGeneratedSchema()
    {
        using var anonymous = flowkit.CreateClient(apiKey: null);

        using var response = await anonymous.GetAsync(new Uri(WorkflowSchema.Path, UriKind.Relative), TestContext.Current.CancellationToken);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/schema+json");
        (await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).Should().Be(WorkflowSchema.Json);
    }

    [Fact]
    public async Task OpenApi_WorkflowDefinition_ComesFromTheSchema()
    {
        var text = await flowkit.Client.GetStringAsync(new Uri("/openapi/v1.json", UriKind.Relative), TestContext.Current.CancellationToken);
        var definition = JsonDocument.Parse(text).RootElement.GetProperty("components").GetProperty("schemas").GetProperty("WorkflowDefinition");

        definition.GetProperty("additionalProperties").GetBoolean().Should().BeFalse();
        var webhook = definition.GetProperty("properties").GetProperty("triggers").GetProperty("items").GetProperty("properties").GetProperty("webhook");
        webhook.GetProperty("properties").GetProperty("respond").GetProperty("enum").EnumerateArray().Select(e => e.GetString())
            .Should().Equal("accepted", "result");
        definition.GetProperty("description").GetString().Should().Contain(WorkflowSchema.Path);
    }
}
