using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Flowkit.Testing;

namespace Flowkit.IntegrationTests.Streams;

/// <summary>
/// Every lifecycle event carries runId, workspace, workflow, version, stepId where it applies, attempt, timestamp and
/// traceId, on the bus and in <c>GET /api/v1/runs/{id}/events</c> (CONTRACT.md section 3, issue #11).
/// </summary>
[Collection(RunStreamCollection.Name)]
public sealed class LifecycleEventFieldsTests(RunStreamFixture flowkit)
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task LifecycleEvents_OfARun_CarryEveryContractFieldOnTheBusAndInTheTimeline()
    {
        using var management = Management();
        var vhost = Uri.EscapeDataString(flowkit.VirtualHost);
        var queue = Api.UniqueName("timeline-tap");
        const string exchange = "Flowkit.Contracts:RunTimelineAppended";
        // The exchange MassTransit publishes to (fan-out, durable), declared here in case nothing was published yet.
        (await management.PutAsJsonAsync($"api/exchanges/{vhost}/{Uri.EscapeDataString(exchange)}", new { type = "fanout", durable = true }, Cancel)).EnsureSuccessStatusCode();
        (await management.PutAsJsonAsync($"api/queues/{vhost}/{queue}", new { durable = false, auto_delete = false }, Cancel)).EnsureSuccessStatusCode();
        (await management.PostAsJsonAsync($"api/bindings/{vhost}/e/{Uri.EscapeDataString(exchange)}/q/{queue}", new { routing_key = "" }, Cancel)).EnsureSuccessStatusCode();
        try
        {
            var name = Api.UniqueName("fields");
            await flowkit.Client.CreateWorkflowAsync($$"""
                name: {{name}}
                steps:
                  - id: check
                    type: condition
                    if: "true"
                    then: [yes]
                    else: [no]
                  - { id: yes, type: transform, with: { n: 1 } }
                  - { id: no, type: transform, with: { n: 2 } }
                """);
            var runId = await flowkit.Client.StartRunAsync(name);
            (await flowkit.Client.WaitForRunEndAsync(runId)).Status().Should().Be("succeeded");

            var timeline = await flowkit.Client.GetEventsAsync(runId);
            timeline.Select(e => e.GetProperty("type").GetString()).Should().Contain(["RunCreated", "RunStarted", "StepSkipped", "RunSucceeded"]);
            timeline.Should().AllSatisfy(e => Check(e, runId, name, "GET /events"));

            var published = await Eventually.UntilAsync(
                () => PublishedAsync(management, vhost, queue, runId),
                events => events.Count == timeline.Length,
                TimeSpan.FromSeconds(20),
                "every timeline event on the bus");
            published.Select(e => e.GetProperty("type").GetString()).Should().Equal(timeline.Select(e => e.GetProperty("type").GetString()));
            published.Should().AllSatisfy(e => Check(e, runId, name, "the bus"));
        }
        finally
        {
            await management.DeleteAsync($"api/queues/{vhost}/{queue}", Cancel);
        }
    }

    private static void Check(JsonElement e, Guid runId, string workflow, string where)
    {
        var type = e.GetProperty("type").GetString()!;
        var because = $"{type} in {where}: {e}";
        e.GetProperty("runId").GetGuid().Should().Be(runId, because);
        e.GetProperty("workspace").GetString().Should().Be("default", because);
        e.GetProperty("workflow").GetString().Should().Be(workflow, because);
        e.GetProperty("version").GetInt32().Should().Be(1, because);
        e.GetProperty("attempt").ValueKind.Should().Be(JsonValueKind.Number, because);
        e.GetProperty("timestamp").GetDateTimeOffset().Offset.Should().Be(TimeSpan.Zero, because);
        e.GetProperty("traceId").GetString().Should().MatchRegex("^[0-9a-f]{32}$", because);
        if (type.StartsWith("Step", StringComparison.Ordinal))
        {
            e.GetProperty("stepId").GetString().Should().NotBeNullOrEmpty(because);
        }
    }

    /// <summary>The events of <paramref name="runId"/> in every RunTimelineAppended the tap queue holds so far, in order.</summary>
    private static async Task<List<JsonElement>> PublishedAsync(HttpClient management, string vhost, string queue, Guid runId)
    {
        using var response = await management.PostAsJsonAsync($"api/queues/{vhost}/{queue}/get",
            new { count = 1000, ackmode = "ack_requeue_true", encoding = "auto" }, Cancel);
        response.EnsureSuccessStatusCode();
        var messages = await response.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        return [.. messages.EnumerateArray()
            .Select(m => JsonDocument.Parse(m.GetProperty("payload").GetString()!).RootElement.GetProperty("message"))
            .Where(m => m.GetProperty("runId").GetGuid() == runId)
            .SelectMany(m => m.GetProperty("events").EnumerateArray())
            .Select(e => e.Clone())];
    }

    private HttpClient Management()
    {
        var client = new HttpClient { BaseAddress = flowkit.Services.RabbitMqManagement };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(Uri.UnescapeDataString(flowkit.Services.RabbitMq.UserInfo))));
        return client;
    }
}
