using System.Globalization;
using Flowkit.Testing;

namespace Flowkit.Benchmarks;

/// <summary>
/// CPU time used so far by the local services' process trees (PostgreSQL's postmaster and its backends, RabbitMQ's
/// Erlang VM, Redis), read from /proc; the pids come from the files deploy/local/services.sh keeps. Linux only.
/// </summary>
internal static class ServiceCpu
{
    private static readonly double TicksPerSecond = ClockTicks();

    public static IReadOnlyDictionary<string, TimeSpan> Read()
    {
        var services = Path.Combine(ServiceEndpoints.RepositoryRoot(), ".local", "services");
        var roots = new Dictionary<string, int?>(StringComparer.Ordinal)
        {
            ["postgresql"] = FirstLineInt(Path.Combine(services, "postgres", "data", "postmaster.pid")),
            ["rabbitmq"] = FirstLineInt(Path.Combine(services, "rabbitmq", "rabbitmq.pid")),
            ["redis"] = FirstLineInt(Path.Combine(services, "redis", "redis.pid")),
        };
        var processes = ReadProcesses();
        return roots.ToDictionary(r => r.Key, r => r.Value is { } pid ? TreeCpu(processes, pid) : TimeSpan.Zero, StringComparer.Ordinal);
    }

    private static TimeSpan TreeCpu(Dictionary<int, (int Parent, long Ticks)> processes, int root)
    {
        var ticks = 0L;
        foreach (var (pid, (_, used)) in processes)
        {
            for (var at = pid; at > 1 && processes.TryGetValue(at, out var p); at = p.Parent)
            {
                if (at == root)
                {
                    ticks += used;
                    break;
                }
            }
        }

        return TimeSpan.FromSeconds(ticks / TicksPerSecond);
    }

    private static Dictionary<int, (int Parent, long Ticks)> ReadProcesses()
    {
        var result = new Dictionary<int, (int, long)>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                // pid (comm) state ppid ... utime(14) stime(15): fields counted after the closing parenthesis.
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                var parent = int.Parse(fields[1], CultureInfo.InvariantCulture);
                var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
                result[pid] = (parent, ticks);
            }
            catch (IOException)
            {
                // The process ended while being read.
            }
        }

        return result;
    }

    private static int? FirstLineInt(string path) =>
        File.Exists(path) && int.TryParse(File.ReadLines(path).FirstOrDefault()?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : null;

    private static double ClockTicks()
    {
        using var getconf = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("getconf", "CLK_TCK") { RedirectStandardOutput = true })!;
        var text = getconf.StandardOutput.ReadToEnd().Trim();
        getconf.WaitForExit();
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : 100;
    }
}
