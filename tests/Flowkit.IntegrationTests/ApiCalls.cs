using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Flowkit.Testing;

namespace Flowkit.IntegrationTests;

/// <summary>An HTTP answer read whole: status, body as JSON (default when empty) and the raw text for messages.</summary>
internal sealed record Answer(HttpStatusCode Status, JsonElement Body, string Text, HttpResponseMessage Response)
{
    public string? ProblemType => Body.ValueKind == JsonValueKind.Object && Body.TryGetProperty("type", out var type) ? type.GetString() : null;

    public static async Task<Answer> ReadAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return new Answer(response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone(), text, response);
    }
}

/// <summary>Calls of the workflow, key and workspace API (issue #4), so tests read as what a user does.</summary>
internal static class ApiCalls
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public static Task<Answer> PostYamlAsync(this HttpClient client, string path, string yaml) => SendAsync(client, HttpMethod.Post, path, yaml, "application/yaml");

    public static Task<Answer> PutYamlAsync(this HttpClient client, string path, string yaml) => SendAsync(client, HttpMethod.Put, path, yaml, "application/yaml");

    public static async Task<Answer> SendAsync(this HttpClient client, HttpMethod method, string path, string? body = null, string contentType = "application/json")
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
        }

        return await Answer.ReadAsync(await client.SendAsync(request, Cancel));
    }

    public static async Task<Answer> ReadAsync(this HttpClient client, string path) => await Answer.ReadAsync(await client.GetAsync(path, Cancel));

    public static async Task<Answer> SendJsonAsync(this HttpClient client, string path, object body) =>
        await Answer.ReadAsync(await client.PostAsJsonAsync(path, body, Cancel));

    public static async Task<Answer> RemoveAsync(this HttpClient client, string path) => await Answer.ReadAsync(await client.DeleteAsync(path, Cancel));

    /// <summary>A two-step workflow whose second step outputs <c>{label}</c>; with <paramref name="approval"/> it first waits for a decision.</summary>
    public static string Definition(string name, string label, bool approval = false) =>
        $$$"""
        name: {{{name}}}
        description: Says {{{label}}}
        steps:
          {{{(approval ? "- { id: ask, type: approval, message: \"Go on?\" }" : "- { id: first, type: transform, with: { n: 1 } }")}}}
          - id: result
            type: transform
            with: { label: "{{{label}}}" }
        """;

    public static async Task<Answer> UpdateWorkflowAsync(this HttpClient client, string name, string yaml)
    {
        var answer = await client.PutYamlAsync($"/api/v1/workflows/{name}", yaml);
        answer.Status.Should().Be(HttpStatusCode.OK, answer.Text);
        return answer;
    }

    /// <summary>Makes an API key (with the client's key) for <paramref name="workspace"/> and returns the key text.</summary>
    public static async Task<string> CreateKeyAsync(this HttpClient client, string name, string? workspace = null)
    {
        var answer = await client.SendJsonAsync("/api/v1/keys", new { name, workspace });
        answer.Status.Should().Be(HttpStatusCode.Created, answer.Text);
        return answer.Body.GetProperty("key").GetString()!;
    }

    /// <summary>A client acting in a new workspace of its own, through a key made by the bootstrap key.</summary>
    public static async Task<(HttpClient Client, string Workspace)> NewWorkspaceClientAsync(this FlowkitFixture flowkit, string prefix)
    {
        var workspace = Api.UniqueName(prefix);
        var key = await flowkit.Client.CreateKeyAsync($"{prefix}-admin", workspace);
        return (flowkit.CreateClient(key), workspace);
    }

    /// <summary>Reads every page of a list endpoint with the given page size.</summary>
    public static async Task<List<JsonElement[]>> AllPagesAsync(this HttpClient client, string path, int limit)
    {
        var pages = new List<JsonElement[]>();
        string? cursor = null;
        do
        {
            var separator = path.Contains('?', StringComparison.Ordinal) ? '&' : '?';
            var answer = await client.ReadAsync($"{path}{separator}limit={limit}{(cursor is null ? "" : $"&cursor={Uri.EscapeDataString(cursor)}")}");
            answer.Status.Should().Be(HttpStatusCode.OK, answer.Text);
            pages.Add(answer.Body.GetProperty("items").EnumerateArray().ToArray());
            cursor = answer.Body.GetProperty("nextCursor").GetString();
            pages.Count.Should().BeLessThan(100, "paging must end");
        }
        while (cursor is not null);

        return pages;
    }
}
