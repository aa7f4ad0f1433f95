using System.Net;
using System.Text.Json;
using Flowkit.Api.Problems;
using Flowkit.Testing;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Flowkit.IntegrationTests;

/// <summary>Errors as problem details and the OpenAPI document (CONTRACT.md section 2, issue #4).</summary>
[Collection(FlowkitCollection.Name)]
public sealed class ApiContractTests(FlowkitFixture flowkit)
{
    private HttpClient Client => flowkit.Client;

    [Fact]
    public async Task Request_MalformedJsonBody_Answers400NamingTheProblem()
    {
        var name = Api.UniqueName("badjson");
        await Client.CreateWorkflowAsync(ApiCalls.Definition(name, "one"));

        var answer = await Client.SendAsync(HttpMethod.Post, $"/api/v1/workflows/{name}/runs", """{"input": {"id": 1,}""");

        answer.Status.Should().Be(HttpStatusCode.BadRequest, answer.Text);
        answer.Response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        answer.ProblemType.Should().Be(ProblemTypes.BadRequest);
        answer.Body.GetProperty("detail").GetString().Should().Contain("not valid JSON").And.Contain("LineNumber");
        (await Client.ReadAsync($"/api/v1/runs?workflow={name}")).Body.GetProperty("items").GetArrayLength().Should().Be(0);
    }

    [Fact]
    public async Task Request_QueryValueOfWrongType_Answers400NamingTheParameter()
    {
        var answer = await Client.ReadAsync("/api/v1/runs?limit=many");

        answer.Status.Should().Be(HttpStatusCode.BadRequest, answer.Text);
        answer.Body.GetProperty("detail").GetString().Should().Contain("limit");
    }

    [Fact]
    public async Task Request_UnknownRoute_Answers404Problem()
    {
        var answer = await Client.ReadAsync("/api/v1/nothing-here");

        answer.Status.Should().Be(HttpStatusCode.NotFound);
        answer.ProblemType.Should().Be(ProblemTypes.NotFound);
    }

    [Fact]
    public async Task OpenApi_Document_CoversEveryApiEndpointWithSchemasAndTheBearerScheme()
    {
        using var anonymous = flowkit.CreateClient(apiKey: null);
        var document = (await anonymous.ReadAsync("/openapi/v1.json")).Body;
        var paths = document.GetProperty("paths");
        var endpoints = flowkit.Host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText!.StartsWith("/api", StringComparison.Ordinal))
            .SelectMany(e => e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()!.HttpMethods.Select(m => (
                Method: m,
                Path: OpenApiPath(e.RoutePattern.RawText!),
                TakesBody: e.Metadata.GetMetadata<Microsoft.AspNetCore.Http.Metadata.IAcceptsMetadata>() is not null)))
            .ToArray();

        document.GetProperty("components").GetProperty("securitySchemes").GetProperty("ApiKey").GetProperty("scheme").GetString().Should().Be("bearer");
        endpoints.Should().HaveCountGreaterThanOrEqualTo(16);
        foreach (var (method, path, takesBody) in endpoints)
        {
            // A missing part names the operation, not only the key.
            try
            {
                paths.TryGetProperty(path, out var item).Should().BeTrue($"{path} is in the document");
                item.TryGetProperty(method.ToLowerInvariant(), out var operation).Should().BeTrue($"{method} {path} is in the document");
                operation.GetProperty("security")[0].TryGetProperty("ApiKey", out _).Should().BeTrue($"{method} {path} names the bearer scheme");
                var responses = operation.GetProperty("responses");
                responses.TryGetProperty("401", out _).Should().BeTrue($"{method} {path} documents 401");
                responses.TryGetProperty("400", out var badRequest).Should().BeTrue($"{method} {path} documents 400");
                badRequest.GetProperty("content").TryGetProperty("application/problem+json", out _).Should().BeTrue($"{method} {path}: errors are problem details");
                // A path naming an existing resource documents 404; a PUT that creates or replaces it (secrets, subscriptions,
                // connectors) does not, nor does a connector's import, which creates it too.
                var upsert = (method == "PUT" && (path.StartsWith("/api/v1/secrets/", StringComparison.Ordinal) || path.StartsWith("/api/v1/subscriptions/", StringComparison.Ordinal)
                        || path.StartsWith("/api/v1/connectors/", StringComparison.Ordinal)))
                    || (method == "POST" && path == "/api/v1/connectors/{name}/import");
                if (path.Contains('{', StringComparison.Ordinal) && !upsert)
                {
                    responses.TryGetProperty("404", out _).Should().BeTrue($"{method} {path} names a resource, so documents 404");
                }

                var success = responses.EnumerateObject().Single(r => r.Name.StartsWith('2'));
                if (success.Name != "204")
                {
                    // The live run stream answers Server-Sent Events whose data is the event schema (issue #11).
                    var media = path.EndsWith("/events/stream", StringComparison.Ordinal) ? "text/event-stream" : "application/json";
                    success.Value.GetProperty("content").GetProperty(media).GetProperty("schema").ValueKind
                        .Should().Be(JsonValueKind.Object, $"{method} {path} has a response schema");
                }

                // An action that takes no body (resume) documents none; every other POST and PUT documents its request.
                if (method is "POST" or "PUT" && takesBody)
                {
                    operation.GetProperty("requestBody").GetProperty("content").EnumerateObject().Should().NotBeEmpty($"{method} {path} has a request schema");
                }
            }
            catch (KeyNotFoundException ex)
            {
                throw new InvalidOperationException($"{method} {path}: a part of its OpenAPI entry is missing ({ex.Message})", ex);
            }
        }

        var create = paths.GetProperty("/api/v1/workflows").GetProperty("post").GetProperty("requestBody").GetProperty("content");
        create.TryGetProperty("application/yaml", out _).Should().BeTrue();
        create.GetProperty("application/json").GetProperty("schema").GetProperty("$ref").GetString().Should().Be("#/components/schemas/WorkflowDefinition");
        document.GetProperty("components").GetProperty("schemas").GetProperty("WorkflowDefinition").GetProperty("required")
            .EnumerateArray().Select(r => r.GetString()).Should().BeEquivalentTo("name", "steps");
    }

    /// <summary>/api/v1/runs/{id:guid} as OpenAPI writes it: /api/v1/runs/{id}; a group's "/" route without the slash.</summary>
    private static string OpenApiPath(string route) =>
        System.Text.RegularExpressions.Regex.Replace(route, "{([^}:]+)(:[^}]+)?}", "{$1}").TrimEnd('/');
}
