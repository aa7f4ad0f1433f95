using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Flowkit.Api.Ingress;
using Flowkit.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Flowkit.IntegrationTests;

/// <summary>Redis stops mid-test (issue #7): ingress stays correct on PostgreSQL and returns to Redis by itself.</summary>
[Collection(FlowkitCollection.Name)]
public sealed class RedisOutageTests(FlowkitFixture flowkit)
{
    [Fact]
    public async Task Hook_RedisStoppedAndRestarted_KeepsAcceptingWithoutDuplicatesAndRecovers()
    {
        await using var redis = await PrivateRedis.StartAsync();
        var host = flowkit.StartHost("api", new Dictionary<string, string?>
        {
            ["ConnectionStrings:Redis"] = redis.ConnectionString,
            ["Flowkit:Ingress:RedisTimeout"] = "00:00:00.250",
        });
        using var client = host.CreateClient();
        var ingress = host.Services.GetRequiredService<RedisIngress>();
        var name = Api.UniqueName("outage");
        await flowkit.Client.CreateWorkflowAsync(Hooks.Workflow(name, $"{{ key: {name} }}"));
        var scope = await flowkit.HookScopeAsync(name, name);
        string DeliveryKey(string body) => ingress.DeliveryKey("default", scope, WebhookDelivery.KeyFromBody(Encoding.UTF8.GetBytes(body)));
        await WaitForReadinessAsync(client, "healthy");

        // Redis up: the fast path remembers the run.
        const string a = """{"n": "a"}""";
        var first = await client.DeliverAsync(name, a);
        first.Status.Should().Be(HttpStatusCode.Accepted, first.ToString());
        await using (var connection = await redis.ConnectAsync())
        {
            await Eventually.UntilAsync(async () => (string?)await connection.GetDatabase().StringGetAsync(DeliveryKey(a)), v => v == first.RunId.ToString(), TimeSpan.FromSeconds(10), "the run id in Redis");
        }

        // Redis down: new deliveries are accepted, duplicates are still recognised (by PostgreSQL).
        redis.Stop();
        const string b = """{"n": "b"}""";
        var againA = await client.DeliverAsync(name, a);
        var newB = await client.DeliverAsync(name, b);
        var againB = await client.DeliverAsync(name, b);
        againA.Status.Should().Be(HttpStatusCode.Accepted, againA.ToString());
        againA.RunId.Should().Be(first.RunId);
        againA.Duplicate.Should().BeTrue();
        newB.Status.Should().Be(HttpStatusCode.Accepted, newB.ToString());
        newB.Duplicate.Should().BeFalse();
        againB.RunId.Should().Be(newB.RunId);
        againB.Duplicate.Should().BeTrue();
        var degraded = await WaitForReadinessAsync(client, "degraded");
        degraded.GetProperty("checks").GetProperty("redis").GetProperty("status").GetString().Should().Be("degraded");
        degraded.GetProperty("checks").GetProperty("postgres").GetProperty("status").GetString().Should().Be("healthy");
        ReadDegradedGauge(host).Should().Be(1, "the metric says ingress is degraded");

        // Redis back (empty): ingress returns to the fast path by itself; what Redis forgot, PostgreSQL still knows.
        await redis.RestartAsync();
        await WaitForReadinessAsync(client, "healthy");
        const string c = """{"n": "c"}""";
        var newC = await client.DeliverAsync(name, c);
        var thirdA = await client.DeliverAsync(name, a);
        newC.Status.Should().Be(HttpStatusCode.Accepted, newC.ToString());
        thirdA.RunId.Should().Be(first.RunId);
        thirdA.Duplicate.Should().BeTrue();
        await using (var connection = await redis.ConnectAsync())
        {
            await Eventually.UntilAsync(async () => (string?)await connection.GetDatabase().StringGetAsync(DeliveryKey(c)), v => v == newC.RunId.ToString(), TimeSpan.FromSeconds(10), "the fast path to remember run c");
        }

        ReadDegradedGauge(host).Should().Be(0);
        (await flowkit.CountRunsAsync(name)).Should().Be(3);
    }

    private static async Task<JsonElement> WaitForReadinessAsync(HttpClient client, string status) =>
        await Eventually.UntilAsync(
            async () =>
            {
                using var response = await client.GetAsync("/health/ready", TestContext.Current.CancellationToken);
                response.StatusCode.Should().Be(HttpStatusCode.OK, "Redis alone never takes ingress out of rotation");
                return await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
            },
            body => body.GetProperty("status").GetString() == status,
            TimeSpan.FromSeconds(30),
            $"readiness to be {status}");

    private static int ReadDegradedGauge(FlowkitHost host)
    {
        var meter = host.Services.GetRequiredService<IngressMetrics>().Meter;
        var value = -1;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, meter) && instrument.Name == "flowkit.ingress.redis.degraded")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<int>((_, measurement, _, _) => value = measurement);
        listener.Start();
        listener.RecordObservableInstruments();
        return value;
    }
}
