using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Flowkit.Testing;

namespace Flowkit.IntegrationTests;

/// <summary>Small helpers over the HTTP API, so tests read as what a user does.</summary>
internal static class Api
{
    public static async Task CreateWorkflowAsync(this HttpClient client, string yaml)
    {
        using var content = new StringContent(yaml, Encoding.UTF8, "application/yaml");
        using var response = await client.PostAsync("/api/v1/workflows", content, TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        response.StatusCode.Should().Be(HttpStatusCode.Created, body);
    }

    public static async Task<Guid> StartRunAsync(this HttpClient client, string workflow, object? input = null)
    {
        using var response = await client.PostAsJsonAsync($"/api/v1/workflows/{workflow}/runs", new { input }, TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        response.StatusCode.Should().Be(HttpStatusCode.Accepted, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("runId").GetGuid();
    }

    public static async Task<JsonElement> GetRunAsync(this HttpClient client, Guid runId)
    {
        using var response = await client.GetAsync($"/api/v1/runs/{runId}", TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        response.StatusCode.Should().Be(HttpStatusCode.OK, body);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>Waits until the run has ended (succeeded, failed or cancelled) and returns it.</summary>
    public static Task<JsonElement> WaitForRunEndAsync(this HttpClient client, Guid runId, TimeSpan? deadline = null) =>
        Eventually.UntilAsync(
            () => client.GetRunAsync(runId),
            run => run.GetProperty("status").GetString() is "succeeded" or "failed" or "cancelled",
            deadline ?? TimeSpan.FromSeconds(30),
            $"run {runId} to end");

    public static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..10]}";

    /// <summary>Waits until the run's status is <paramref name="status"/> and returns it.</summary>
    public static Task<JsonElement> WaitForStatusAsync(this HttpClient client, Guid runId, string status, TimeSpan? deadline = null) =>
        Eventually.UntilAsync(
            () => client.GetRunAsync(runId),
            run => run.GetProperty("status").GetString() == status,
            deadline ?? TimeSpan.FromSeconds(30),
            $"run {runId} to be {status}");

    /// <summary>Waits until step <paramref name="stepId"/> of the run has status <paramref name="status"/>.</summary>
    public static Task<JsonElement> WaitForStepAsync(this HttpClient client, Guid runId, string stepId, string status, TimeSpan? deadline = null) =>
        Eventually.UntilAsync(
            () => client.GetRunAsync(runId),
            run => run.GetProperty("steps").EnumerateArray().Any(s => s.GetProperty("id").GetString() == stepId && s.GetProperty("status").GetString() == status),
            deadline ?? TimeSpan.FromSeconds(30),
            $"step {stepId} of run {runId} to be {status}");

    public static JsonElement Step(JsonElement run, string stepId) =>
        run.GetProperty("steps").EnumerateArray().Single(s => s.GetProperty("id").GetString() == stepId);

    public static string Status(this JsonElement element) => element.GetProperty("status").GetString()!;

    /// <summary>The run's whole timeline so far, read page by page (issue #19: the events endpoint pages).</summary>
    public static async Task<JsonElement[]> GetEventsAsync(this HttpClient client, Guid runId)
    {
        var events = new List<JsonElement>();
        string? cursor = null;
        do
        {
            var path = $"/api/v1/runs/{runId}/events?limit=500{(cursor is null ? "" : $"&cursor={Uri.EscapeDataString(cursor)}")}";
            using var response = await client.GetAsync(path, TestContext.Current.CancellationToken);
            var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            response.StatusCode.Should().Be(HttpStatusCode.OK, body);
            var page = JsonDocument.Parse(body).RootElement.Clone();
            events.AddRange(page.GetProperty("items").EnumerateArray());
            cursor = page.GetProperty("nextCursor").GetString();
        }
        while (cursor is not null);

        return [.. events];
    }

    public static async Task<(HttpStatusCode Status, JsonElement Body)> PostJsonAsync(this HttpClient client, string path, object body)
    {
        using var response = await client.PostAsJsonAsync(path, body, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }
}
