using System.Net;
using System.Text.Json;
using Flowkit.Api.Problems;
using Flowkit.Testing;

namespace Flowkit.IntegrationTests;

/// <summary><c>POST /api/v1/workflows/validate</c> (issue #13): the editor's validator, with lines and the compiled DAG.</summary>
[Collection(FlowkitCollection.Name)]
public sealed class WorkflowValidationTests(FlowkitFixture flowkit)
{
    private HttpClient Client => flowkit.Client;

    [Fact]
    public async Task Validate_InvalidYaml_ListsEveryProblemAtItsLineAndStoresNothing()
    {
        var name = Api.UniqueName("validate");
        var answer = await Client.PostYamlAsync("/api/v1/workflows/validate", $$"""
            name: {{name}}
            steps:
              - id: a
                type: teleport
              - id: b
                type: transform
                needs: [nowhere]
                with: { x: 1 }
            """);

        answer.Status.Should().Be(HttpStatusCode.OK, answer.Text);
        answer.Body.GetProperty("valid").GetBoolean().Should().BeFalse();
        var errors = answer.Body.GetProperty("errors").EnumerateArray()
            .ToDictionary(e => e.GetProperty("path").GetString()!, e => e.GetProperty("line").GetInt32());
        errors.Should().Contain("$.steps[0].type", 4).And.Contain("$.steps[1].needs[0]", 7);
        (await Client.ReadAsync($"/api/v1/workflows/{name}")).Status.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Validate_SameDefinitionAsCreate_AnswersTheSameMessages()
    {
        var name = Api.UniqueName("same");
        var yaml = $$"""
            name: {{name}}
            steps:
              - { id: a, type: http, with: { method: GET } }
            """;

        var validated = await Client.PostYamlAsync("/api/v1/workflows/validate", yaml);
        var created = await Client.PostYamlAsync("/api/v1/workflows", yaml);

        created.Status.Should().Be(HttpStatusCode.UnprocessableEntity, created.Text);
        Messages(validated.Body).Should().Equal(Messages(created.Body));
    }

    [Fact]
    public async Task Validate_BrokenYaml_PointsAtTheLineTheParserStopped()
    {
        var answer = await Client.PostYamlAsync("/api/v1/workflows/validate", "name: x\nsteps:\n  - id: a\n    type: [transform\n");

        answer.Status.Should().Be(HttpStatusCode.OK, answer.Text);
        var error = answer.Body.GetProperty("errors").EnumerateArray().Single();
        error.GetProperty("path").GetString().Should().Be("$");
        error.GetProperty("line").GetInt32().Should().BeGreaterThanOrEqualTo(4);
    }

    [Fact]
    public async Task Validate_ValidDefinition_AnswersTheGraphWithBranchesAndJoins()
    {
        var name = Api.UniqueName("graph");
        var answer = await Client.PostYamlAsync("/api/v1/workflows/validate", $$"""
            name: {{name}}
            triggers:
              - webhook: { key: {{name}} }
            steps:
              - { id: check, type: condition, if: "input.big", then: [ask], else: [auto] }
              - { id: ask, type: approval, message: "ok?" }
              - { id: auto, type: transform, with: { x: 1 } }
              - { id: done, type: transform, needs: [ask, auto], with: { y: 2 } }
            """);

        answer.Status.Should().Be(HttpStatusCode.OK, answer.Text);
        answer.Body.GetProperty("valid").GetBoolean().Should().BeTrue();
        answer.Body.GetProperty("name").GetString().Should().Be(name);
        var graph = answer.Body.GetProperty("graph");
        var edges = graph.GetProperty("edges").EnumerateArray()
            .Select(e => $"{e.GetProperty("from").GetString()}>{e.GetProperty("to").GetString()}:{(e.GetProperty("branch").ValueKind == JsonValueKind.Null ? "" : e.GetProperty("branch").GetString())}")
            .ToArray();
        edges.Should().BeEquivalentTo(["check>ask:then", "check>auto:else", "ask>done:", "auto>done:"]);
        graph.GetProperty("steps").EnumerateArray().Single(s => s.GetProperty("id").GetString() == "done").GetProperty("join").GetBoolean().Should().BeTrue();
        graph.GetProperty("triggers")[0].GetProperty("kind").GetString().Should().Be("webhook");
        (await Client.ReadAsync($"/api/v1/workflows/{name}")).Status.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Validate_UnsupportedContentType_Answers415Problem()
    {
        var answer = await Client.SendAsync(HttpMethod.Post, "/api/v1/workflows/validate", "name: x", "text/plain");

        answer.Status.Should().Be(HttpStatusCode.UnsupportedMediaType, answer.Text);
        answer.ProblemType.Should().Be(ProblemTypes.UnsupportedMediaType);
    }

    private static string[] Messages(JsonElement body) =>
        [.. body.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("message").GetString()!)];
}
