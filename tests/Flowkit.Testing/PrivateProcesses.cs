using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Flowkit.Testing;

/// <summary>Small process and folder helpers for the private, killable service instances of fault tests.</summary>
internal static class PrivateProcesses
{
    /// <summary>A free loopback port (the OS picks it; a race with another process is possible but unlikely).</summary>
    public static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    /// <summary>A new folder under /tmp/flowkit-faults, owned by <paramref name="owner"/> (the service's OS user).</summary>
    public static async Task<string> CreateFolderAsync(string owner)
    {
        var root = Path.Combine(Path.GetTempPath(), "flowkit-faults");
        Directory.CreateDirectory(root);
        var dir = Path.Combine(root, $"{owner}-{Guid.NewGuid().ToString("N")[..12]}");
        Directory.CreateDirectory(dir);
        await RunAsync("chmod", ["755", root], root, TimeSpan.FromSeconds(10));
        await RunAsync("chown", [$"{owner}:{owner}", dir], root, TimeSpan.FromSeconds(10));
        await RunAsync("chmod", ["750", dir], root, TimeSpan.FromSeconds(10));
        return dir;
    }

    public static void DeleteFolder(string dir)
    {
        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
            // A process still writing its log; /tmp is cleaned eventually.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Runs a command to completion; throws with its output when it fails or overruns.</summary>
    public static async Task<string> RunAsync(string file, IEnumerable<string> arguments, string workingDirectory, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(file, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {file}.");
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"'{file} {string.Join(' ', info.ArgumentList)}' did not finish within {timeout.TotalSeconds} s.");
        }

        var text = await output + await error;
        return process.ExitCode == 0
            ? text
            : throw new InvalidOperationException($"'{file} {string.Join(' ', info.ArgumentList)}' failed with exit code {process.ExitCode}: {text}");
    }

    /// <summary>Every descendant of a process, from /proc (children first found, then theirs).</summary>
    public static IReadOnlyList<int> Descendants(int pid)
    {
        var parents = new Dictionary<int, List<int>>();
        foreach (var stat in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(stat), out var child))
            {
                continue;
            }

            try
            {
                var text = File.ReadAllText(Path.Combine(stat, "stat"));
                var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
                var parent = int.Parse(fields[1], CultureInfo.InvariantCulture);
                if (!parents.TryGetValue(parent, out var list))
                {
                    parents[parent] = list = [];
                }

                list.Add(child);
            }
            catch (IOException)
            {
                // It exited while we looked.
            }
        }

        var result = new List<int>();
        var queue = new Queue<int>([pid]);
        while (queue.TryDequeue(out var next))
        {
            foreach (var child in parents.GetValueOrDefault(next) ?? [])
            {
                result.Add(child);
                queue.Enqueue(child);
            }
        }

        return result;
    }

    /// <summary>SIGKILL to one process this test started (by its id).</summary>
    public static void KillPid(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            process.Kill();
        }
        catch (ArgumentException)
        {
            // Already gone.
        }
        catch (InvalidOperationException)
        {
        }
    }

    public static void WaitGone(int pid, TimeSpan timeout)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            process.WaitForExit(timeout);
        }
        catch (ArgumentException)
        {
        }
    }
}
