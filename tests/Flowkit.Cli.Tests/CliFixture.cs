using System.Diagnostics;
using Flowkit.Testing;

namespace Flowkit.Cli.Tests;

/// <summary>A real host on a loopback port for the built <c>flowkit</c> tool to talk to, shared by the collection.</summary>
public sealed class CliFixture : IAsyncLifetime
{
    private ListeningHost? _host;

    public FlowkitFixture Flowkit { get; } = new();

    public Uri Server => _host!.Address;

    public async ValueTask InitializeAsync()
    {
        await Flowkit.InitializeAsync();
        _host = await ListeningHost.StartAsync(Flowkit);
    }

    /// <summary>Runs the built tool with <paramref name="args"/>, the server and key from the environment; returns its exit code and output.</summary>
    public async Task<CliResult> RunAsync(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var tool = Path.Combine(ServiceEndpoints.RepositoryRoot(), "src", "Flowkit.Cli", "bin", configuration, "net10.0", "flowkit.dll");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(tool);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["FLOWKIT_URL"] = Server.ToString();
        info.Environment["FLOWKIT_API_KEY"] = FlowkitFixture.BootstrapKey;
        // No profile file of whoever runs the tests.
        info.Environment["FLOWKIT_PROFILE"] = Path.Combine(Path.GetTempPath(), $"flowkit-no-profile-{Guid.NewGuid():N}.json");
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var error = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        return new CliResult(process.ExitCode, await output, await error);
    }

    public Task<CliResult> RunAsync(params string[] args) => RunAsync(null, args);

    public async ValueTask DisposeAsync()
    {
        _host?.Dispose();
        await Flowkit.DisposeAsync();
    }
}
