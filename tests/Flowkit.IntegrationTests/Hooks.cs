using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Flowkit.Testing;

namespace Flowkit.IntegrationTests;

/// <summary>What a webhook delivery was answered.</summary>
internal sealed record HookResponse(HttpStatusCode Status, JsonElement Body, HttpResponseHeaders Headers)
{
    public Guid RunId => Body.GetProperty("runId").GetGuid();

    public bool Duplicate => Body.GetProperty("duplicate").GetBoolean();

    public override string ToString() => $"{(int)Status} {Body}";
}

/// <summary>Helpers for webhook tests: deliver, count runs, shape definitions.</summary>
internal static class Hooks
{
    public static async Task<HookResponse> DeliverAsync(
        this HttpClient client, string key, string body, IDictionary<string, string>? headers = null, string workspace = "default", string query = "")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/hooks/{workspace}/{key}{query}")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return new HookResponse(response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone(), response.Headers);
    }

    /// <summary>A workflow with one webhook trigger and one transform step that echoes its input.</summary>
    public static string Workflow(string name, string webhook) => $$$"""
        name: {{{name}}}
        triggers:
          - webhook: {{{webhook}}}
        steps:
          - id: echo
            type: transform
            with: { got: "{{ input.body }}" }
        """;

    /// <summary>The <c>run_requests</c> scope of webhook <paramref name="key"/> of workflow <paramref name="workflow"/> in <c>default</c>.</summary>
    public static async Task<string> HookScopeAsync(this FlowkitFixture flowkit, string workflow, string key) =>
        Flowkit.Api.Ingress.WebhookDelivery.Scope(
            await flowkit.ScalarAsync<Guid>("SELECT id FROM workflows WHERE workspace = 'default' AND name = @n", ("n", workflow)), key);

    public static Task<long> CountRunsAsync(this FlowkitFixture flowkit, string workflow) =>
        flowkit.ScalarAsync<long>("SELECT count(*) FROM runs WHERE workflow = @w", ("w", workflow));
}
