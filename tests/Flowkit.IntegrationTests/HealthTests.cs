using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Flowkit.IntegrationTests;

/// <summary>GET /health/live and /health/ready (issue #7).</summary>
[Collection(FlowkitCollection.Name)]
public sealed class HealthTests(Flowkit.Testing.FlowkitFixture flowkit)
{
    [Fact]
    public async Task Live_Always_Answers200()
    {
        using var response = await flowkit.Client.GetAsync("/health/live", TestContext.Current.CancellationToken);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        (await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("status").GetString().Should().Be("live");
    }

    [Fact]
    public async Task Ready_AllServicesUp_Answers200HealthyWithEachCheck()
    {
        var body = await Flowkit.Testing.Eventually.UntilAsync(
            async () =>
            {
                using var response = await flowkit.Client.GetAsync("/health/ready", TestContext.Current.CancellationToken);
                return (response.StatusCode, Body: await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken));
            },
            r => r.StatusCode == HttpStatusCode.OK && r.Body.GetProperty("status").GetString() == "healthy",
            TimeSpan.FromSeconds(30),
            "readiness to be healthy");

        var checks = body.Body.GetProperty("checks");
        checks.EnumerateObject().Select(c => c.Name).Should().BeEquivalentTo(["postgres", "outbox", "rabbitmq", "redis"]);
        checks.EnumerateObject().Should().AllSatisfy(c => c.Value.GetProperty("status").GetString().Should().Be("healthy"));
    }
}
