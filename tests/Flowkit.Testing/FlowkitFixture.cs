using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Npgsql;
using Xunit;

namespace Flowkit.Testing;

/// <summary>
/// The real services plus one Flowkit host (all roles) for a test collection. Each fixture gets a database and a
/// RabbitMQ virtual host of its own on the shared services, so runs of the suite never see each other's data
/// or messages; tests inside a collection isolate by their own workflow names.
/// </summary>
public class FlowkitFixture : IAsyncLifetime
{
    private readonly string _mainRoles;

    public FlowkitFixture()
        : this("api,engine,worker")
    {
    }

    /// <summary>A fixture whose first host runs only <paramref name="mainRoles"/> (other roles can run as processes).</summary>
    protected FlowkitFixture(string mainRoles) => _mainRoles = mainRoles;

    private readonly string _suffix = $"{DateTime.UtcNow:yyyyMMddHHmmss}_{Guid.NewGuid().ToString("N")[..8]}";
    private readonly List<FlowkitHost> _hosts = [];

    public ServiceEndpoints Services { get; private set; } = null!;

    public string DatabaseName => $"flowkit_test_{_suffix}";

    public string VirtualHost => $"flowkit-test-{_suffix}";

    public string PostgresConnectionString { get; private set; } = "";

    public Uri RabbitMqUri { get; private set; } = null!;

    /// <summary>Every host started on this fixture so far, the first one first.</summary>
    /// <summary>The hosts of this fixture that are still running (a test may stop one it started).</summary>
    public IReadOnlyList<FlowkitHost> Hosts => [.. _hosts.Where(h => !h.Stopped)];

    /// <summary>The first host (api, engine and worker roles).</summary>
    public FlowkitHost Host => _hosts[0];

    /// <summary>An HTTP client for the API of <see cref="Host"/>, with the bootstrap key (workspace <c>default</c>).</summary>
    public HttpClient Client { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Services = await StartServicesAsync();
        await CreateDatabaseAsync();
        await CreateVirtualHostAsync();
        RabbitMqUri = new UriBuilder(Services.RabbitMq) { Path = "/" + Uri.EscapeDataString(VirtualHost) }.Uri;
        StartHost(_mainRoles);
        Client = CreateClient(BootstrapKey);
    }

    /// <summary>The admin key of workspace <c>default</c> that a Development host accepts (CONTRACT.md section 2).</summary>
    public const string BootstrapKey = "dev-admin-key";

    /// <summary>An HTTP client for the API of <see cref="Host"/> sending <c>Authorization: Bearer <paramref name="apiKey"/></c> (none when null).</summary>
    public HttpClient CreateClient(string? apiKey)
    {
        var client = Host.CreateClient();
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }

        return client;
    }

    /// <summary>
    /// Starts another host on the same database and virtual host, e.g. a second engine; <paramref name="settings"/>
    /// override configuration keys (<c>ConnectionStrings:Redis</c> to point it at a private Redis, say).
    /// </summary>
    public FlowkitHost StartHost(string roles, IReadOnlyDictionary<string, string?>? settings = null)
    {
        // Every host knows the broker's management API (readiness and the dead-letter API read it), as services.env says.
        // Expression and script time limits that a loaded CI machine does not reach by being slow (the 1 s script limit
        // failed a script-isolation run at a load average of 40); tests of the limits set their own.
        var all = new Dictionary<string, string?>
        {
            ["Flowkit:RabbitMqManagementUrl"] = Services.RabbitMqManagement.ToString(),
            ["Flowkit:Expressions:Timeout"] = "00:00:10",
            ["Flowkit:Expressions:ScriptTimeout"] = "00:00:30",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        var host = new FlowkitHost(PostgresConnectionString, RabbitMqUri, Services.Redis, roles, all);
        _hosts.Add(host);
        _ = host.Server; // starts it
        return host;
    }

    /// <summary>Runs a scalar query against this fixture's database (to look at rows the API does not show).</summary>
    public async Task<T> ScalarAsync<T>(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(PostgresConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return (T)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Starts a real Flowkit.Host process (to be killed, not just stopped) on this fixture's services.</summary>
    public FlowkitProcess StartProcess(string roles, IReadOnlyDictionary<string, string?>? settings = null) =>
        FlowkitProcess.Start(PostgresConnectionString, RabbitMqUri, Services.Redis, roles, settings);

    public async ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        Client?.Dispose();
        foreach (var host in _hosts)
        {
            await host.DisposeAsync();
        }

        await DropVirtualHostAsync();
        await DropDatabaseAsync();
        await StopServicesAsync();
    }

    /// <summary>Where the services are: the shared ones (deploy/local); a fault fixture starts private ones instead.</summary>
    protected virtual Task<ServiceEndpoints> StartServicesAsync() => Task.FromResult(ServiceEndpoints.Load());

    /// <summary>Stops what <see cref="StartServicesAsync"/> started (nothing for the shared services).</summary>
    protected virtual ValueTask StopServicesAsync() => ValueTask.CompletedTask;

    private async Task CreateDatabaseAsync()
    {
        try
        {
            await using var connection = new NpgsqlConnection(Services.Postgres);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{DatabaseName}\"", connection);
            await command.ExecuteNonQueryAsync();
        }
        catch (NpgsqlException ex)
        {
            throw new InvalidOperationException($"PostgreSQL is not reachable at '{Services.Postgres}': {ex.Message}. {ServiceEndpoints.StartHint}", ex);
        }

        PostgresConnectionString = new NpgsqlConnectionStringBuilder(Services.Postgres) { Database = DatabaseName }.ConnectionString;
    }

    private async Task DropDatabaseAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(Services.Postgres);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{DatabaseName}\" WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync();
    }

    private HttpClient Management()
    {
        var userInfo = Uri.UnescapeDataString(Services.RabbitMq.UserInfo).Split(':', 2);
        var client = new HttpClient { BaseAddress = Services.RabbitMqManagement };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{userInfo[0]}:{userInfo[1]}")));
        return client;
    }

    private async Task CreateVirtualHostAsync()
    {
        using var client = Management();
        var user = Uri.UnescapeDataString(Services.RabbitMq.UserInfo).Split(':', 2)[0];
        try
        {
            (await client.PutAsync($"api/vhosts/{Uri.EscapeDataString(VirtualHost)}", null)).EnsureSuccessStatusCode();
            (await client.PutAsJsonAsync($"api/permissions/{Uri.EscapeDataString(VirtualHost)}/{Uri.EscapeDataString(user)}",
                new { configure = ".*", write = ".*", read = ".*" })).EnsureSuccessStatusCode();
        }
        catch (HttpRequestException ex)
        {
            throw new InvalidOperationException($"The RabbitMQ management API is not reachable at {Services.RabbitMqManagement}: {ex.Message}. {ServiceEndpoints.StartHint}", ex);
        }
    }

    private async Task DropVirtualHostAsync()
    {
        using var client = Management();
        await client.DeleteAsync($"api/vhosts/{Uri.EscapeDataString(VirtualHost)}");
    }
}

/// <summary>One Flowkit host process in memory (the real Program), talking to the real services.</summary>
public sealed class FlowkitHost(string postgres, Uri rabbitMq, string redis, string roles, IReadOnlyDictionary<string, string?>? settings = null)
    : WebApplicationFactory<Program>
{
    static FlowkitHost()
    {
        // WebApplicationFactory finds the host's content root from a manifest next to test assemblies; a plain
        // executable (the benchmark) has none, so name it the documented way.
        const string variable = "ASPNETCORE_TEST_CONTENTROOT_FLOWKIT_HOST";
        if (Environment.GetEnvironmentVariable(variable) is null)
        {
            Environment.SetEnvironmentVariable(variable, Path.Combine(ServiceEndpoints.RepositoryRoot(), "src", "Flowkit.Host"));
        }
    }

    /// <summary>True once the host has been disposed: its services can no longer be resolved.</summary>
    public bool Stopped { get; private set; }

    public override async ValueTask DisposeAsync()
    {
        Stopped = true;
        await base.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.UseEnvironment("Development");
        builder.UseSetting("ConnectionStrings:Postgres", postgres);
        builder.UseSetting("ConnectionStrings:RabbitMq", rabbitMq.ToString());
        builder.UseSetting("ConnectionStrings:Redis", redis);
        builder.UseSetting("Flowkit:Roles", roles);
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            builder.UseSetting(key, value);
        }
    }
}
