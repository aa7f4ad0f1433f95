using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;

namespace Flowkit.IntegrationTests;

/// <summary>
/// A real Prometheus on loopback with a port and data folder of its own, scraping one Flowkit process every second
/// and evaluating the given rule file every second. Killed and its folder deleted on dispose.
/// </summary>
internal sealed class PrometheusProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _folder;
    private readonly HttpClient _client;
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _output = new();

    private PrometheusProcess(Process process, string folder, int port)
    {
        _process = process;
        _folder = folder;
        _client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(60) };
        _process.OutputDataReceived += (_, e) => Keep(e.Data);
        _process.ErrorDataReceived += (_, e) => Keep(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Output => string.Join('\n', _output);

    public static async Task<PrometheusProcess> StartAsync(int flowkitPort, string rulesFile)
    {
        var folder = Directory.CreateTempSubdirectory("flowkit-prometheus-").FullName;
        var port = ObservabilityStackTests.FreePort();
        await File.WriteAllTextAsync(Path.Combine(folder, "prometheus.yml"), $"""
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            rule_files:
              - {rulesFile}
            scrape_configs:
              - job_name: flowkit
                metrics_path: /metrics
                static_configs:
                  - targets: ["127.0.0.1:{flowkitPort}"]
            """);
        var info = new ProcessStartInfo("prometheus",
        [
            $"--config.file={Path.Combine(folder, "prometheus.yml")}",
            $"--storage.tsdb.path={Path.Combine(folder, "data")}",
            $"--web.listen-address=127.0.0.1:{port}",
            "--log.level=warn",
        ])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException("'prometheus' is not installed: run deploy/prometheus/install.sh (make test does).", ex);
        }

        var prometheus = new PrometheusProcess(process, folder, port);
        await Flowkit.Testing.Eventually.UntilAsync(
            prometheus.ReadyAsync,
            ready => ready || process.HasExited,
            TimeSpan.FromSeconds(30),
            "Prometheus to be ready");
        return process.HasExited ? throw new InvalidOperationException($"Prometheus exited: {prometheus.Output}") : prometheus;
    }

    /// <summary>True when an instant query of <paramref name="query"/> succeeds with at least one series.</summary>
    public async Task<bool> HasDataAsync(string query, CancellationToken cancellationToken)
    {
        var answer = await GetAsync($"api/v1/query?query={Uri.EscapeDataString(query)}", cancellationToken);
        return answer.GetProperty("status").GetString() == "success"
            && answer.GetProperty("data").GetProperty("result").GetArrayLength() > 0;
    }

    public async Task<JsonElement> GetAsync(string path, CancellationToken cancellationToken)
    {
        using var response = await _client.GetAsync(path, cancellationToken);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
        return response.IsSuccessStatusCode ? body : throw new InvalidOperationException($"Prometheus answered {(int)response.StatusCode} to {path}: {body}");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        _client.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    private async Task<bool> ReadyAsync()
    {
        try
        {
            using var response = await _client.GetAsync("-/ready");
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    private void Keep(string? line)
    {
        if (line is not null)
        {
            _output.Enqueue(line);
        }
    }
}
