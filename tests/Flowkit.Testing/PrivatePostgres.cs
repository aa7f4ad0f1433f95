using System.Globalization;
using Npgsql;

namespace Flowkit.Testing;

/// <summary>
/// A PostgreSQL server of the test's own (initdb into a throwaway folder, its own loopback port, trust login), so a
/// test can kill it with SIGKILL and start it again without touching the shared instance other engineers and test runs
/// use. Runs as the <c>postgres</c> OS user, as the Debian package's binaries require.
/// </summary>
public sealed class PrivatePostgres : IAsyncDisposable
{
    private readonly string _dir;
    private readonly string _bin;

    private PrivatePostgres(string dir, string bin, int port)
    {
        _dir = dir;
        _bin = bin;
        Port = port;
    }

    public int Port { get; }

    private string DataDir => Path.Combine(_dir, "data");

    /// <summary>The server's admin connection string (database <c>postgres</c>).</summary>
    public string ConnectionString => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = "postgres",
        Database = "postgres",
        Timeout = 3,
    }.ConnectionString;

    /// <summary>Creates a data folder and starts the server; waits until it answers.</summary>
    public static async Task<PrivatePostgres> StartAsync()
    {
        var bin = FindBin();
        var dir = await PrivateProcesses.CreateFolderAsync("postgres");
        var postgres = new PrivatePostgres(dir, bin, PrivateProcesses.FreePort());
        await PrivateProcesses.RunAsync("runuser", ["-u", "postgres", "--", Path.Combine(bin, "initdb"), "-D", postgres.DataDir, "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8", "--auth=trust", "--no-sync"], dir, TimeSpan.FromSeconds(120));
        await File.AppendAllTextAsync(Path.Combine(postgres.DataDir, "postgresql.conf"), string.Join('\n',
            $"port = {postgres.Port.ToString(CultureInfo.InvariantCulture)}",
            "listen_addresses = '127.0.0.1'",
            $"unix_socket_directories = '{dir}'",
            "max_connections = 200",
            // Durable like deploy/local's instance: with synchronous_commit off, a SIGKILL loses commits that were
            // already acknowledged, which no application can survive and which is not what production runs.
            "fsync = on",
            "synchronous_commit = on",
            ""));
        await postgres.StartServerAsync();
        return postgres;
    }

    /// <summary>Kills the postmaster and its backends with SIGKILL, as a crash or an OOM kill would.</summary>
    public void Kill()
    {
        var pidFile = Path.Combine(DataDir, "postmaster.pid");
        if (!File.Exists(pidFile) || !int.TryParse(File.ReadLines(pidFile).First(), out var pid))
        {
            return;
        }

        // The backends are children of the postmaster; kill them all, or clients would stay connected to orphans.
        foreach (var child in PrivateProcesses.Descendants(pid).Append(pid))
        {
            PrivateProcesses.KillPid(child);
        }

        PrivateProcesses.WaitGone(pid, TimeSpan.FromSeconds(10));
    }

    /// <summary>Starts the server again on the same port and data (it recovers from the crash).</summary>
    public Task RestartAsync() => StartServerAsync();

    /// <summary>Whether the server answers a query now.</summary>
    public async Task<bool> AnswersAsync()
    {
        try
        {
            await using var connection = new NpgsqlConnection(ConnectionString + ";Pooling=false");
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT 1", connection);
            await command.ExecuteScalarAsync();
            return true;
        }
        catch (NpgsqlException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        await Task.Yield();
        PrivateProcesses.DeleteFolder(_dir);
    }

    private async Task StartServerAsync()
    {
        File.Delete(Path.Combine(DataDir, "postmaster.pid"));
        await PrivateProcesses.RunAsync("runuser", ["-u", "postgres", "--", Path.Combine(_bin, "pg_ctl"), "start", "-D", DataDir, "-l", Path.Combine(_dir, "postgres.log"), "-w", "-t", "60", "-s"], _dir, TimeSpan.FromSeconds(90));
        await Eventually.UntilAsync(AnswersAsync, ok => ok, TimeSpan.FromSeconds(30), $"the private PostgreSQL on port {Port} to answer");
    }

    private static string FindBin()
    {
        var root = "/usr/lib/postgresql";
        var bin = Directory.Exists(root)
            ? Directory.GetDirectories(root).Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "initdb"))).OrderDescending().FirstOrDefault()
            : null;
        return bin ?? throw new InvalidOperationException($"No PostgreSQL server binaries under {root}. {ServiceEndpoints.StartHint}");
    }
}
