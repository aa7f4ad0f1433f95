using System.Diagnostics;
using System.Reflection;
using Flowkit.Testing;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql;

namespace Flowkit.Deploy.Tests;

/// <summary>
/// <c>Flowkit.Host migrate</c> (issue #15): the migration Job of deploy/k8s and the <c>migrate</c> service of
/// deploy/compose apply the schema and exit, so that a new version rolls out only on a migrated database. Before it
/// existed, the host applied migrations and then ran every role forever, and no Job could complete.
/// </summary>
public sealed class MigrateCommandTests
{
    [Fact]
    public async Task Migrate_FreshDatabase_AppliesEveryMigrationAndExits()
    {
        await using var database = await Database.CreateAsync();

        var (exitCode, output) = await MigrateAsync(database.ConnectionString);

        exitCode.Should().Be(0, output);
        (await AppliedMigrationsAsync(database.ConnectionString)).Should().BeEquivalentTo(KnownMigrations(), output);
    }

    [Fact]
    public async Task Migrate_DatabaseOfANewerVersion_ExitsWithoutChanges()
    {
        // A rollback: the previous image's Job runs against a schema a newer version already migrated.
        await using var database = await Database.CreateAsync();
        (await MigrateAsync(database.ConnectionString)).ExitCode.Should().Be(0);
        const string newer = "29991231000000_FromANewerVersion";
        await ExecuteAsync(database.ConnectionString, $"INSERT INTO __migrations (\"MigrationId\", \"ProductVersion\") VALUES ('{newer}', '10.0.0')");

        var (exitCode, output) = await MigrateAsync(database.ConnectionString);

        exitCode.Should().Be(0, output);
        (await AppliedMigrationsAsync(database.ConnectionString)).Should().BeEquivalentTo(KnownMigrations().Append(newer), output);
    }

    /// <summary>Runs <c>Flowkit.Host migrate</c> as the Job does: Production, and no API key, secrets key or Redis (migrating needs none of them).</summary>
    private static Task<(int ExitCode, string Output)> MigrateAsync(string connectionString) =>
        RunHostAsync(["migrate"], new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["ConnectionStrings__Postgres"] = connectionString,
            ["ConnectionStrings__RabbitMq"] = ServiceEndpoints.Load().RabbitMq.ToString(),
        }, TimeSpan.FromMinutes(2));

    /// <summary>Every migration the Persistence assembly holds, by id.</summary>
    private static List<string> KnownMigrations() =>
        typeof(Flowkit.Persistence.FlowkitDatabase).Assembly.GetTypes()
            .Select(t => t.GetCustomAttribute<MigrationAttribute>()?.Id)
            .OfType<string>()
            .ToList();

    private static async Task<List<string>> AppliedMigrationsAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = new NpgsqlCommand("""SELECT "MigrationId" FROM __migrations""" /* Flowkit's history table (FlowkitDbContext) */, connection);
        await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        var ids = new List<string>();
        while (await reader.ReadAsync(TestContext.Current.CancellationToken))
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>A database of its own on the shared PostgreSQL, dropped afterwards.</summary>
    private sealed class Database : IAsyncDisposable
    {
        private readonly string _server;
        private readonly string _name;

        private Database(string server, string name)
        {
            _server = server;
            _name = name;
            ConnectionString = new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
        }

        public string ConnectionString { get; }

        public static async Task<Database> CreateAsync()
        {
            var server = ServiceEndpoints.Load().Postgres;
            var name = $"flowkit_deploy_{DateTime.UtcNow:yyyyMMddHHmmss}_{Guid.NewGuid().ToString("N")[..8]}";
            await ExecuteAsync(server, $"CREATE DATABASE {name}");
            return new Database(server, name);
        }

        /// <summary>
        /// Drops the database. An autovacuum worker (a superuser's backend) may be on it just after the migrations, and
        /// FORCE may not end that one (42501): the drop is tried again until the worker has gone.
        /// </summary>
        public async ValueTask DisposeAsync() =>
            await Eventually.UntilAsync(
                async () =>
                {
                    try
                    {
                        await ExecuteAsync(_server, $"DROP DATABASE IF EXISTS {_name} WITH (FORCE)");
                        return "dropped";
                    }
                    catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InsufficientPrivilege)
                    {
                        return ex.MessageText;
                    }
                },
                outcome => outcome == "dropped",
                TimeSpan.FromSeconds(30),
                $"database {_name} to be dropped");
    }

    /// <summary>Runs the built host with <paramref name="arguments"/>; a process still running at the deadline is killed and reported.</summary>
    private static async Task<(int ExitCode, string Output)> RunHostAsync(string[] arguments, Dictionary<string, string> environment, TimeSpan deadline)
    {
        var host = Path.Combine(ServiceEndpoints.RepositoryRoot(), "src", "Flowkit.Host", "bin", Configuration(), "net10.0", "Flowkit.Host.dll");
        File.Exists(host).Should().BeTrue($"the host is built (make build): {host}");
        var info = new ProcessStartInfo("dotnet", [host, .. arguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(host)!,
        };
        info.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var timeout = new CancellationTokenSource(deadline);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            return (-1, $"still running after {deadline.TotalSeconds} s (killed). Output:{Environment.NewLine}{await stdout}{await stderr}");
        }

        return (process.ExitCode, (await stdout) + (await stderr));
    }

    private static string Configuration() =>
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
}
