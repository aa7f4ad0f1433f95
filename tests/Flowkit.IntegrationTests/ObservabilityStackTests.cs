using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Flowkit.Testing;
using YamlDotNet.RepresentationModel;

namespace Flowkit.IntegrationTests;

/// <summary>
/// deploy/prometheus and deploy/grafana against the real thing (issue #11): promtool checks the rules and runs their
/// unit tests, and a real Prometheus on loopback scrapes a real Flowkit process under a little load and evaluates
/// every dashboard panel's query and every alert expression: each must return data.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed partial class ObservabilityStackTests(ApiOnlyFixture flowkit)
{
    private static string Deploy => Path.Combine(ServiceEndpoints.RepositoryRoot(), "deploy");

    [Fact]
    public async Task PrometheusRules_Promtool_ChecksRulesConfigAndRuleTests()
    {
        var prometheus = Path.Combine(Deploy, "prometheus");
        (await RunAsync("promtool", prometheus, "check", "rules", "rules/flowkit.rules.yml")).Should().Contain("SUCCESS");
        (await RunAsync("promtool", prometheus, "check", "config", "prometheus.yml")).Should().Contain("SUCCESS");
        (await RunAsync("promtool", prometheus, "test", "rules", "tests/flowkit.rules.test.yml")).Should().Contain("SUCCESS");
    }

    [Fact]
    public async Task Prometheus_ScrapingFlowkitUnderLoad_EveryPanelQueryAndAlertExpressionReturnsData()
    {
        var ct = TestContext.Current.CancellationToken;
        var flowkitPort = FreePort();
        using var host = flowkit.StartProcess("api,engine,worker", new Dictionary<string, string?>
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{flowkitPort}",
            ["Flowkit:RabbitMqManagementUrl"] = flowkit.Services.RabbitMqManagement.ToString(),
            ["Flowkit:Observability:GaugeRefreshInterval"] = "00:00:01",
        });
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{flowkitPort}/"), Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", FlowkitFixture.BootstrapKey);
        await Eventually.UntilAsync(() => StatusAsync(client, "health/ready"), s => s == HttpStatusCode.OK, TimeSpan.FromSeconds(60), $"the Flowkit process to be ready; output: {host.Output}");

        await using var prometheus = await PrometheusProcess.StartAsync(flowkitPort, Path.Combine(Deploy, "prometheus", "rules", "flowkit.rules.yml"));

        // A little load: runs that succeed and fail (with a retry), webhooks accepted and duplicate, one dead letter.
        var name = Api.UniqueName("stack");
        var key = Api.UniqueName("hook");
        await client.CreateWorkflowAsync($$"""
            name: {{name}}
            triggers:
              - webhook: { key: {{key}} }
            steps:
              - id: check
                type: condition
                if: "input.fail == true"
                then: [call]
                else: [shape]
              - id: shape
                type: transform
                with: { ok: true }
              - id: call
                type: http
                with: { method: GET, url: "http://127.0.0.1:1/refused" }
                retry: { attempts: 2, backoff: fixed, delay: 1s }
            """);
        var runs = new List<Guid>();
        for (var i = 0; i < 4; i++)
        {
            runs.Add(await client.StartRunAsync(name, new { fail = i == 0 }));
        }

        var headers = new Dictionary<string, string> { ["Idempotency-Key"] = "once" };
        (await client.DeliverAsync(key, "{}", headers)).Status.Should().Be(HttpStatusCode.Accepted);
        (await client.DeliverAsync(key, "{}", headers)).Duplicate.Should().BeTrue();
        await PublishPoisonMessageAsync(ct);
        foreach (var run in runs)
        {
            await client.WaitForRunEndAsync(run, TimeSpan.FromSeconds(60));
        }

        var queries = DashboardQueries().Concat(AlertQueries()).ToList();
        queries.Should().HaveCountGreaterThan(20);
        var empty = await Eventually.UntilAsync(
            async () =>
            {
                var missing = new List<string>();
                foreach (var query in queries)
                {
                    if (!await prometheus.HasDataAsync(query, ct))
                    {
                        missing.Add(query);
                    }
                }

                return missing;
            },
            missing => missing.Count == 0,
            TimeSpan.FromSeconds(90),
            "every panel and alert query to return data");
        empty.Should().BeEmpty();

        // Every rule was evaluated without an error.
        var rules = await prometheus.GetAsync("api/v1/rules", ct);
        rules.GetProperty("data").GetProperty("groups").EnumerateArray().SelectMany(g => g.GetProperty("rules").EnumerateArray())
            .Should().HaveCount(8).And.AllSatisfy(r => r.GetProperty("health").GetString().Should().Be("ok", r.ToString()));
    }

    /// <summary>Every target expression of deploy/grafana's dashboards, with Grafana's rate window made concrete.</summary>
    private static IEnumerable<string> DashboardQueries()
    {
        foreach (var file in Directory.GetFiles(Path.Combine(Deploy, "grafana", "dashboards"), "*.json"))
        {
            using var dashboard = JsonDocument.Parse(File.ReadAllText(file));
            foreach (var panel in dashboard.RootElement.GetProperty("panels").EnumerateArray())
            {
                foreach (var target in panel.GetProperty("targets").EnumerateArray())
                {
                    yield return target.GetProperty("expr").GetString()!.Replace("$__rate_interval", "30s", StringComparison.Ordinal);
                }
            }
        }
    }

    /// <summary>
    /// The quantity each alert compares: every operand of a top-level <c>and</c>, without its threshold. An alert
    /// that does not fire returns nothing, so it is the measured quantity that must exist.
    /// </summary>
    private static IEnumerable<string> AlertQueries()
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(File.ReadAllText(Path.Combine(Deploy, "prometheus", "rules", "flowkit.rules.yml"))));
        var groups = (YamlSequenceNode)((YamlMappingNode)yaml.Documents[0].RootNode)["groups"];
        foreach (var group in groups.Cast<YamlMappingNode>())
        {
            foreach (var rule in ((YamlSequenceNode)group["rules"]).Cast<YamlMappingNode>())
            {
                var expr = ((YamlScalarNode)rule["expr"]).Value!;
                foreach (var operand in expr.Split(" and ", StringSplitOptions.TrimEntries))
                {
                    yield return Threshold().Replace(operand, "").Replace("\n", " ", StringComparison.Ordinal);
                }
            }
        }
    }

    /// <summary>A message nothing can read, sent to the engine's queue: MassTransit moves it to flowkit-runs_error.</summary>
    private async Task PublishPoisonMessageAsync(CancellationToken ct)
    {
        var userInfo = Uri.UnescapeDataString(flowkit.Services.RabbitMq.UserInfo);
        using var management = new HttpClient { BaseAddress = flowkit.Services.RabbitMqManagement };
        management.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(userInfo)));
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

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    internal static async Task<string> RunAsync(string program, string workingDirectory, params string[] arguments)
    {
        var info = new ProcessStartInfo(program, arguments) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException($"'{program}' is not installed: run deploy/prometheus/install.sh (make test does).", ex);
        }

        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(Eventually.Stretch(TimeSpan.FromSeconds(60)));
            await process.WaitForExitAsync(timeout.Token);
            var all = await output + await error;
            process.ExitCode.Should().Be(0, $"{program} {string.Join(' ', arguments)} said: {all}");
            return all;
        }
    }

    [GeneratedRegex("""\s*(==|!=|>=|<=|>|<)\s*[0-9.]+\s*$""")]
    private static partial Regex Threshold();
}
