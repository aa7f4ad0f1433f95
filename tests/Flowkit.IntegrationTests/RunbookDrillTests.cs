using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.RegularExpressions;
using Flowkit.Testing;

namespace Flowkit.IntegrationTests;

/// <summary>
/// Runbook drills (docs/runbooks/, issue #11): each causes its incident on loopback and shows its alert firing in a
/// real Prometheus. The rules are deploy/prometheus's, with every <c>for:</c> shortened to 1 s so a drill takes
/// seconds (the runbooks say so); the expressions and thresholds are the real ones.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed partial class RunbookDrillTests(ApiOnlyFixture flowkit)
{
    [Fact]
    public async Task Drill_BrokerTroubleDeadLetterPresent_FlowkitDeadLettersFires()
    {
        var ct = TestContext.Current.CancellationToken;
        var port = ObservabilityStackTests.FreePort();
        using var host = flowkit.StartProcess("api,engine,worker", new Dictionary<string, string?>
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            ["Flowkit:RabbitMqManagementUrl"] = flowkit.Services.RabbitMqManagement.ToString(),
            ["Flowkit:Observability:GaugeRefreshInterval"] = "00:00:01",
        });
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(10) };
        await Eventually.UntilAsync(() => StatusAsync(client, "health/ready"), s => s == HttpStatusCode.OK, TimeSpan.FromSeconds(60), $"the Flowkit process to be ready; output: {host.Output}");
        var rules = ShortenedRules();
        try
        {
            await using var prometheus = await PrometheusProcess.StartAsync(port, rules);

            // The incident: a message nothing can read reaches the engine's queue and is dead-lettered.
            await PublishPoisonAsync(ct);

            var firing = await Eventually.UntilAsync(
                () => FiringAsync(prometheus, ct),
                alerts => alerts.Contains("FlowkitDeadLetters"),
                TimeSpan.FromSeconds(90),
                "FlowkitDeadLetters to fire");
            firing.Should().Contain("FlowkitDeadLetters");
        }
        finally
        {
            File.Delete(rules);
        }
    }

    /// <summary>The names of the alerts firing now.</summary>
    private static async Task<List<string>> FiringAsync(PrometheusProcess prometheus, CancellationToken ct)
    {
        var alerts = await prometheus.GetAsync("api/v1/alerts", ct);
        return [.. alerts.GetProperty("data").GetProperty("alerts").EnumerateArray()
            .Where(a => a.GetProperty("state").GetString() == "firing")
            .Select(a => a.GetProperty("labels").GetProperty("alertname").GetString()!)];
    }

    /// <summary>deploy/prometheus/rules/flowkit.rules.yml with every <c>for:</c> at 1 s, in a temporary file.</summary>
    private static string ShortenedRules()
    {
        var original = File.ReadAllText(Path.Combine(ServiceEndpoints.RepositoryRoot(), "deploy", "prometheus", "rules", "flowkit.rules.yml"));
        var file = Path.Combine(Path.GetTempPath(), $"flowkit-drill-{Guid.NewGuid():N}.rules.yml");
        File.WriteAllText(file, For().Replace(original, "${indent}for: 1s"));
        return file;
    }

    private async Task PublishPoisonAsync(CancellationToken ct)
    {
        using var management = new HttpClient { BaseAddress = flowkit.Services.RabbitMqManagement };
        management.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(Uri.UnescapeDataString(flowkit.Services.RabbitMq.UserInfo))));
        using var response = await management.PostAsJsonAsync(
            $"api/exchanges/{Uri.EscapeDataString(flowkit.VirtualHost)}/amq.default/publish",
            new { properties = new { content_type = "application/vnd.masstransit+json" }, routing_key = "flowkit-runs", payload = "not json", payload_encoding = "string" },
            ct);
        response.EnsureSuccessStatusCode();
    }

    private static async Task<HttpStatusCode> StatusAsync(HttpClient client, string path)
    {
        try
        {
            using var response = await client.GetAsync(path);
            return response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return 0;
        }
    }

    [GeneratedRegex(@"(?<indent>^\s+)for: \S+", RegexOptions.Multiline)]
    private static partial Regex For();
}
