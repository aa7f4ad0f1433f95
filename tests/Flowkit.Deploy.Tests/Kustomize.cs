using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Flowkit.Deploy.Tests;

/// <summary>Renders a kustomization with <c>kubectl kustomize</c> (no cluster involved), once per folder.</summary>
internal static class Kustomize
{
    private static readonly ConcurrentDictionary<string, Lazy<List<JsonObject>>> Rendered = new(StringComparer.Ordinal);

    /// <summary>The overlays under deploy/k8s/overlays, as repository paths.</summary>
    public static IReadOnlyList<string> Overlays() =>
        [.. Directory.GetDirectories(Repo.PathOf("deploy/k8s/overlays")).Select(d => $"deploy/k8s/overlays/{Path.GetFileName(d)}").Order(StringComparer.Ordinal)];

    public static List<JsonObject> Render(string folder) =>
        Rendered.GetOrAdd(folder, f => new Lazy<List<JsonObject>>(() => Run(f))).Value;

    private static List<JsonObject> Run(string folder)
    {
        var info = new ProcessStartInfo("kubectl", ["kustomize", Repo.PathOf(folder)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"kubectl is not installed ({e.Message}). Run deploy/k8s/install-kubectl.sh (make test does).", e);
        }

        using (process)
        {
            // Both streams are read at once so that neither pipe fills and blocks kubectl.
            var errors = new System.Text.StringBuilder();
            process.ErrorDataReceived += (_, e) => errors.AppendLine(e.Data);
            process.BeginErrorReadLine();
            var output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            process.ExitCode.Should().Be(0, $"kubectl kustomize {folder} renders: {errors}");
            return [.. YamlJson.LoadAll(output).OfType<JsonObject>()];
        }
    }
}
