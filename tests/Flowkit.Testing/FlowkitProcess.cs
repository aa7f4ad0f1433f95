using System.Collections.Concurrent;
using System.Diagnostics;

namespace Flowkit.Testing;

/// <summary>
/// Flowkit.Host as a separate OS process, for tests that must kill a process mid-run (SIGKILL: no graceful stop,
/// no flushing) and start another. Its output is kept (last lines) for failure messages.
/// </summary>
public sealed class FlowkitProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly int _keepLines;

    private FlowkitProcess(Process process, int keepLines)
    {
        _process = process;
        _keepLines = keepLines;
        _process.OutputDataReceived += (_, e) => Keep(e.Data);
        _process.ErrorDataReceived += (_, e) => Keep(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The last lines the process wrote.</summary>
    public string Output => string.Join(Environment.NewLine, _output);

    /// <summary>Starts the host; the last <paramref name="keepLines"/> lines of its output are kept.</summary>
    public static FlowkitProcess Start(string postgres, Uri rabbitMq, string redis, string roles, IReadOnlyDictionary<string, string?>? settings = null, int keepLines = 200)
    {
        var host = HostAssembly();
        var info = new ProcessStartInfo("dotnet", [host])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(host)!,
        };
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        info.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        info.Environment["ConnectionStrings__Postgres"] = postgres;
        info.Environment["ConnectionStrings__RabbitMq"] = rabbitMq.ToString();
        info.Environment["ConnectionStrings__Redis"] = redis;
        info.Environment["Flowkit__Roles"] = roles;
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            info.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        return new FlowkitProcess(Process.Start(info) ?? throw new InvalidOperationException($"Could not start {host}."), keepLines);
    }

    /// <summary>Kills the process at once (SIGKILL), as a crash or an OOM kill would.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        while (_output.Count > _keepLines && _output.TryDequeue(out _))
        {
        }
    }

    /// <summary>The built Flowkit.Host.dll of the same configuration as the tests (make build builds both).</summary>
    private static string HostAssembly()
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var path = Path.Combine(ServiceEndpoints.RepositoryRoot(), "src", "Flowkit.Host", "bin", configuration, "net10.0", "Flowkit.Host.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException($"Build the host first (make build): {path} is missing.", path);
    }
}
