using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Flowkit.Testing;

namespace Flowkit.IntegrationTests.Faults;

/// <summary><c>GET /api/v1/ops/queues</c> against the real RabbitMQ (issue #11).</summary>
[Collection(FlowkitCollection.Name)]
public sealed class OpsQueuesTests(FlowkitFixture flowkit)
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task OpsQueues_AdminOfDefault_ReportsEachQueuesRoleDepthConsumersAndRates()
    {
        // A queue with a backlog and no consumer: three messages published into it.
        var backlog = Api.UniqueName("flowkit-test-backlog");
        using var management = Management();
        var vhost = Uri.EscapeDataString(flowkit.VirtualHost);
        (await management.PutAsJsonAsync($"api/queues/{vhost}/{backlog}", new { durable = false, auto_delete = false }, Cancel)).EnsureSuccessStatusCode();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                (await management.PostAsJsonAsync($"api/exchanges/{vhost}/amq.default/publish",
                    new { properties = new { }, routing_key = backlog, payload = "{}", payload_encoding = "string" }, Cancel)).EnsureSuccessStatusCode();
            }

            // The broker refreshes its queue statistics every few seconds.
            var answer = await Eventually.UntilAsync(
                () => flowkit.Client.ReadAsync("/api/v1/ops/queues"),
                a => a.Status == HttpStatusCode.OK && Queue(a.Body, backlog) is { } q && q.GetProperty("ready").GetInt32() == 3
                    && Queue(a.Body, "flowkit-runs") is { } r && r.GetProperty("consumers").GetInt32() >= 1,
                TimeSpan.FromSeconds(30),
                "the backlog queue to show its three messages, and the engine's queue its consumer");

            var waiting = Queue(answer.Body, backlog)!.Value;
            waiting.GetProperty("messages").GetInt32().Should().Be(3);
            waiting.GetProperty("unacknowledged").GetInt32().Should().Be(0);
            waiting.GetProperty("consumers").GetInt32().Should().Be(0);
            waiting.GetProperty("publishRate").ValueKind.Should().Be(JsonValueKind.Number);
            waiting.GetProperty("deliverRate").ValueKind.Should().Be(JsonValueKind.Number);

            var runs = Queue(answer.Body, "flowkit-runs")!.Value;
            runs.GetProperty("consumers").GetInt32().Should().BeGreaterThanOrEqualTo(1, "the fixture's engine consumes it");
            runs.GetProperty("role").GetString().Should().StartWith("engine");
            Queue(answer.Body, "flowkit-steps-http")!.Value.GetProperty("role").GetString().Should().Be("worker: http steps");
        }
        finally
        {
            await management.DeleteAsync($"api/queues/{vhost}/{backlog}", Cancel);
        }
    }

    [Fact]
    public async Task OpsQueues_KeyOfAnotherWorkspace_Answers403()
    {
        var (other, _) = await flowkit.NewWorkspaceClientAsync("ops-queues");

        var answer = await other.ReadAsync("/api/v1/ops/queues");

        answer.Status.Should().Be(HttpStatusCode.Forbidden, answer.Text);
    }

    [Fact]
    public async Task OpsQueues_ManagementApiUnreachable_Answers503Problem()
    {
        // An API host whose management URL points at a closed loopback port.
        await using var host = new FlowkitHost(flowkit.PostgresConnectionString, flowkit.RabbitMqUri, flowkit.Services.Redis, "api",
            new Dictionary<string, string?> { ["Flowkit:RabbitMqManagementUrl"] = "http://127.0.0.1:1/" });
        using var client = host.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", FlowkitFixture.BootstrapKey);

        var answer = await client.ReadAsync("/api/v1/ops/queues");

        answer.Status.Should().Be(HttpStatusCode.ServiceUnavailable, answer.Text);
        answer.ProblemType.Should().Be("https://flowkit.dev/problems/unavailable");
        answer.Body.GetProperty("detail").GetString().Should().Contain("management API");
    }

    private static JsonElement? Queue(JsonElement body, string name) =>
        body.GetProperty("queues").EnumerateArray().Where(q => q.GetProperty("name").GetString() == name).Select(q => (JsonElement?)q).FirstOrDefault();

    private HttpClient Management()
    {
        var client = new HttpClient { BaseAddress = flowkit.Services.RabbitMqManagement };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(Uri.UnescapeDataString(flowkit.Services.RabbitMq.UserInfo))));
        return client;
    }
}
