using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Flowkit.Testing;

namespace Flowkit.IntegrationTests;

/// <summary>
/// What the runbook drills share, so that each drill only causes its incident: a database and virtual host of their
/// own (a drill leaves a backlog and stopped consumers behind), a private Redis that a drill may stop, one Flowkit
/// process with the api and engine roles only (workers are started in this test process and stopped by the drills
/// that need them, so a steps queue has no consumer unless a drill attaches one) on a loopback port, and one real
/// Prometheus scraping it every second with deploy/prometheus's rules, every <c>for:</c> shortened to 1 s.
/// </summary>
public sealed partial class DrillFixture() : FlowkitFixture("api")
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private PrivateRedis? _redis;
    private FlowkitProcess? _process;
    private PrometheusProcess? _prometheus;
    private HttpClient? _api;
    private string? _rules;

    /// <summary>The Redis the Flowkit process uses; a drill may stop it and must start it again.</summary>
    public PrivateRedis Redis => _redis ?? throw new InvalidOperationException("The fixture has not started.");

    /// <summary>The Flowkit process (api and engine roles), writing ECS JSON lines.</summary>
    public FlowkitProcess Process => _process ?? throw new InvalidOperationException("Call StartAsync first.");

    /// <summary>An HTTP client for the Flowkit process's API with the bootstrap key.</summary>
    public HttpClient Api => _api ?? throw new InvalidOperationException("Call StartAsync first.");

    internal PrometheusProcess Prometheus => _prometheus ?? throw new InvalidOperationException("Call StartAsync first.");

    /// <summary>Starts the Flowkit process and Prometheus once (the first drill pays for it).</summary>
    public async Task StartAsync()
    {
        await _gate.WaitAsync();
        try
        {
            if (_prometheus is not null)
            {
                return;
            }

            var port = ObservabilityStackTests.FreePort();
            _process = FlowkitProcess.Start(PostgresConnectionString, RabbitMqUri, Redis.ConnectionString, "api,engine", new Dictionary<string, string?>
            {
                ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
                ["Flowkit:RabbitMqManagementUrl"] = Services.RabbitMqManagement.ToString(),
                ["Flowkit:Observability:GaugeRefreshInterval"] = "00:00:01",
                ["Flowkit:Observability:LogFormat"] = "json",
                ["Flowkit:Ingress:RedisTimeout"] = "00:00:00.250",
                // The traffic spike must be admitted, not limited.
                ["Flowkit:Ingress:WorkspaceLimit"] = "100000",
                // Steps left in a queue with no worker are not sent again while the drills run.
                ["Flowkit:Engine:DeliveryWindow"] = "01:00:00",
            }, keepLines: 20_000);
            _api = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(60) };
            _api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", BootstrapKey);
            await Eventually.UntilAsync(ReadinessAsync, s => s == HttpStatusCode.OK || _process.HasExited, TimeSpan.FromSeconds(60), "the Flowkit process to be ready");
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The Flowkit process exited: {_process.Output}");
            }

            _rules = ShortenedRules();
            _prometheus = await PrometheusProcess.StartAsync(port, _rules);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The alerts firing now, each with its labels.</summary>
    internal async Task<List<Dictionary<string, string>>> FiringAsync(CancellationToken cancellationToken)
    {
        var alerts = await Prometheus.GetAsync("api/v1/alerts", cancellationToken);
        return [.. alerts.GetProperty("data").GetProperty("alerts").EnumerateArray()
            .Where(a => a.GetProperty("state").GetString() == "firing")
            .Select(a => a.GetProperty("labels").EnumerateObject().ToDictionary(l => l.Name, l => l.Value.GetString() ?? "", StringComparer.Ordinal))];
    }

    /// <summary>Waits until <paramref name="alert"/> fires with the given labels, and returns its labels.</summary>
    internal async Task<Dictionary<string, string>> WaitFiringAsync(string alert, IReadOnlyDictionary<string, string> labels, TimeSpan deadline, CancellationToken cancellationToken)
    {
        bool Matches(Dictionary<string, string> a) =>
            a["alertname"] == alert && labels.All(l => a.TryGetValue(l.Key, out var v) && v == l.Value);
        var firing = await Eventually.UntilAsync(
            () => FiringAsync(cancellationToken),
            all => all.Any(Matches),
            deadline,
            $"{alert} {JsonSerializer.Serialize(labels)} to fire in Prometheus");
        return firing.First(Matches);
    }

    /// <summary>The value of an instant query that returns one series (null when it returns none).</summary>
    internal async Task<double?> ValueAsync(string query, CancellationToken cancellationToken)
    {
        var answer = await Prometheus.GetAsync($"api/v1/query?query={Uri.EscapeDataString(query)}", cancellationToken);
        var result = answer.GetProperty("data").GetProperty("result");
        return result.GetArrayLength() == 0
            ? null
            : double.Parse(result[0].GetProperty("value")[1].GetString()!, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>An HTTP client for the broker's management API of this fixture's virtual host.</summary>
    internal HttpClient Management()
    {
        var management = new HttpClient { BaseAddress = Services.RabbitMqManagement };
        management.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(Uri.UnescapeDataString(Services.RabbitMq.UserInfo))));
        return management;
    }

    protected override async Task<ServiceEndpoints> StartServicesAsync()
    {
        _redis = await PrivateRedis.StartAsync();
        return await base.StartServicesAsync();
    }

    protected override async ValueTask StopServicesAsync()
    {
        if (_prometheus is not null)
        {
            await _prometheus.DisposeAsync();
        }

        _process?.Dispose();
        _api?.Dispose();
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }

        if (_rules is not null)
        {
            File.Delete(_rules);
        }

        _gate.Dispose();
        await base.StopServicesAsync();
    }

    private async Task<HttpStatusCode> ReadinessAsync()
    {
        try
        {
            using var response = await Api.GetAsync("health/ready");
            return response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return 0;
        }
        catch (TaskCanceledException)
        {
            return 0;
        }
    }

    /// <summary>
    /// deploy/prometheus/rules/flowkit.rules.yml with every <c>for:</c> at 1 s, in a temporary file: the committed
    /// rules keep their real durations; expressions and thresholds are the real ones.
    /// </summary>
    private static string ShortenedRules()
    {
        var original = File.ReadAllText(Path.Combine(ServiceEndpoints.RepositoryRoot(), "deploy", "prometheus", "rules", "flowkit.rules.yml"));
        var file = Path.Combine(Path.GetTempPath(), $"flowkit-drill-{Guid.NewGuid():N}.rules.yml");
        File.WriteAllText(file, For().Replace(original, "${indent}for: 1s"));
        return file;
    }

    [GeneratedRegex(@"(?<indent>^\s+)for: \S+", RegexOptions.Multiline)]
    private static partial Regex For();
}
