using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Flowkit.Testing;

/// <summary>
/// A RabbitMQ node of the test's own (its own node name, AMQP, management, distribution and epmd ports, and folders
/// under /tmp/flowkit-faults), so a test can kill it with SIGKILL and start it again without touching the shared
/// broker. Started the way deploy/local/services.sh starts the shared one (as the <c>rabbitmq</c> OS user, with the
/// standard RABBITMQ_* variables); a start takes about 5 s, so share one per test collection.
/// </summary>
public sealed class PrivateRabbitMq : IAsyncDisposable
{
    private const string Lib = "/usr/lib/rabbitmq/bin";
    private const string User = "flowkit";
    private const string Password = "flowkit";
    private readonly string _dir;
    private readonly Dictionary<string, string> _env;
    private readonly int _epmdPort;

    private PrivateRabbitMq(string dir)
    {
        _dir = dir;
        AmqpPort = PrivateProcesses.FreePort();
        ManagementPort = PrivateProcesses.FreePort();
        _epmdPort = PrivateProcesses.FreePort();
        var distPort = PrivateProcesses.FreePort();
        var ctlPort = PrivateProcesses.FreePort();
        string P(int port) => port.ToString(CultureInfo.InvariantCulture);
        NodeName = $"fk{Guid.NewGuid().ToString("N")[..10]}@localhost";
        _env = new Dictionary<string, string>
        {
            ["HOME"] = dir,
            ["LANG"] = "C.UTF-8",
            ["LC_ALL"] = "C.UTF-8",
            ["RABBITMQ_NODENAME"] = NodeName,
            ["RABBITMQ_USE_LONGNAME"] = "false",
            ["RABBITMQ_DIST_PORT"] = P(distPort),
            ["RABBITMQ_CTL_DIST_PORT_MIN"] = P(ctlPort),
            ["RABBITMQ_CTL_DIST_PORT_MAX"] = P(ctlPort),
            ["ERL_EPMD_PORT"] = P(_epmdPort),
            ["ERL_EPMD_ADDRESS"] = "127.0.0.1",
            ["RABBITMQ_MNESIA_BASE"] = Path.Combine(dir, "mnesia"),
            ["RABBITMQ_LOG_BASE"] = Path.Combine(dir, "log"),
            ["RABBITMQ_PID_FILE"] = PidFile,
            ["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(dir, "enabled_plugins"),
            ["RABBITMQ_CONFIG_FILE"] = Path.Combine(dir, "rabbitmq.conf"),
            ["RABBITMQ_ADVANCED_CONFIG_FILE"] = Path.Combine(dir, "advanced.config"),
            ["RABBITMQ_CONF_ENV_FILE"] = Path.Combine(dir, "rabbitmq-env.conf"),
        };
    }

    public string NodeName { get; }

    public int AmqpPort { get; }

    public int ManagementPort { get; }

    /// <summary>The broker's AMQP address (virtual host <c>/</c>, user flowkit, administrator).</summary>
    public Uri Uri => new($"amqp://{User}:{Password}@127.0.0.1:{AmqpPort}/");

    /// <summary>The management API (the value Flowkit reads from <c>Flowkit:RabbitMqManagementUrl</c>).</summary>
    public Uri ManagementUri => new($"http://127.0.0.1:{ManagementPort}/");

    private string PidFile => Path.Combine(_dir, "rabbitmq.pid");

    public static async Task<PrivateRabbitMq> StartAsync()
    {
        if (!File.Exists(Path.Combine(Lib, "rabbitmq-server")))
        {
            throw new InvalidOperationException($"rabbitmq-server is not installed. {ServiceEndpoints.StartHint}");
        }

        var rabbit = new PrivateRabbitMq(await PrivateProcesses.CreateFolderAsync("rabbitmq"));
        await rabbit.WriteConfigAsync();
        await rabbit.StartNodeAsync();
        return rabbit;
    }

    /// <summary>Kills the node (beam and its helpers) with SIGKILL: connections drop as in a crash.</summary>
    public void Kill()
    {
        var pid = ReadPid();
        if (pid is not { } beam)
        {
            return;
        }

        foreach (var child in PrivateProcesses.Descendants(beam).Append(beam))
        {
            PrivateProcesses.KillPid(child);
        }

        PrivateProcesses.WaitGone(beam, TimeSpan.FromSeconds(10));
    }

    /// <summary>Stops the node the way an operator does (<c>rabbitmqctl stop</c>): clients are told CONNECTION_FORCED first.</summary>
    public async Task StopAsync()
    {
        await AsRabbitAsync(Path.Combine(Lib, "rabbitmqctl"), "stop", PidFile);
    }

    /// <summary>Starts the node again with the same data: durable queues and persistent messages come back.</summary>
    public Task RestartAsync() => StartNodeAsync();

    /// <summary>A management API client logged in as the administrator.</summary>
    public HttpClient Management()
    {
        var client = new HttpClient { BaseAddress = ManagementUri, Timeout = TimeSpan.FromSeconds(5) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{User}:{Password}")));
        return client;
    }

    /// <summary>Every queue of the broker with its consumers and messages (empty while the broker is down).</summary>
    public async Task<IReadOnlyList<BrokerQueue>> QueuesAsync()
    {
        try
        {
            using var client = Management();
            var queues = await client.GetFromJsonAsync<JsonElement>("api/queues");
            return [.. queues.EnumerateArray().Select(q => new BrokerQueue(
                q.GetProperty("name").GetString()!,
                q.TryGetProperty("consumers", out var c) ? c.GetInt32() : 0,
                q.TryGetProperty("messages", out var m) && m.ValueKind == JsonValueKind.Number ? m.GetInt32() : 0))];
        }
        catch (HttpRequestException)
        {
            return [];
        }
        catch (TaskCanceledException)
        {
            return [];
        }
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        try
        {
            var epmd = Directory.GetFiles("/usr/lib/erlang", "epmd", SearchOption.AllDirectories).FirstOrDefault(f => f.Contains("/bin/", StringComparison.Ordinal));
            if (epmd is not null)
            {
                await PrivateProcesses.RunAsync(epmd, ["-port", _env["ERL_EPMD_PORT"], "-kill"], _dir, TimeSpan.FromSeconds(10));
            }
        }
        catch (InvalidOperationException)
        {
            // epmd was not running.
        }

        PrivateProcesses.DeleteFolder(_dir);
    }

    private int? ReadPid() =>
        File.Exists(PidFile) && int.TryParse(File.ReadAllText(PidFile).Trim(), out var pid) ? pid : null;

    private async Task WriteConfigAsync()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "mnesia"));
        Directory.CreateDirectory(Path.Combine(_dir, "log"));
        await File.WriteAllTextAsync(Path.Combine(_dir, "rabbitmq.conf"), $"""
            listeners.tcp.default = 127.0.0.1:{AmqpPort}
            distribution.listener.interface = 127.0.0.1
            management.tcp.ip = 127.0.0.1
            management.tcp.port = {ManagementPort}
            default_vhost = /
            default_user = {User}
            default_pass = {Password}
            default_user_tags.administrator = true
            default_permissions.configure = .*
            default_permissions.read = .*
            default_permissions.write = .*
            log.console = false
            log.file.level = info

            """);
        await File.WriteAllTextAsync(Path.Combine(_dir, "enabled_plugins"), "[rabbitmq_management].\n");
        await File.WriteAllTextAsync(Path.Combine(_dir, "advanced.config"), "[].\n");
        await File.WriteAllTextAsync(Path.Combine(_dir, "rabbitmq-env.conf"), "# keeps /etc/rabbitmq/rabbitmq-env.conf out of this node\n");
        await File.WriteAllTextAsync(Path.Combine(_dir, ".erlang.cookie"), Guid.NewGuid().ToString("N").ToUpperInvariant());
        await PrivateProcesses.RunAsync("chown", ["-R", "rabbitmq:rabbitmq", _dir], _dir, TimeSpan.FromSeconds(10));
        await PrivateProcesses.RunAsync("chmod", ["400", Path.Combine(_dir, ".erlang.cookie")], _dir, TimeSpan.FromSeconds(10));
    }

    private async Task StartNodeAsync()
    {
        File.Delete(PidFile);
        // The detached node would keep our output pipes open for its whole life: its output goes to a file instead.
        await AsRabbitAsync("sh", "-c", "exec \"$0\" -detached >>\"$HOME/log/startup.log\" 2>&1 </dev/null", Path.Combine(Lib, "rabbitmq-server"));
        await Eventually.UntilAsync(() => Task.FromResult(ReadPid() is not null), ok => ok, TimeSpan.FromSeconds(60), $"the pid file of RabbitMQ node {NodeName}");
        await AsRabbitAsync(Path.Combine(Lib, "rabbitmqctl"), "wait", "--timeout", "240", PidFile);
        await Eventually.UntilAsync(
            async () =>
            {
                using var client = Management();
                try
                {
                    return (await client.GetAsync("api/overview")).IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
                catch (TaskCanceledException)
                {
                    return false;
                }
            },
            ok => ok,
            TimeSpan.FromSeconds(60),
            $"the management API of RabbitMQ node {NodeName} on port {ManagementPort}");
    }

    private Task<string> AsRabbitAsync(string command, params string[] arguments) =>
        PrivateProcesses.RunAsync(
            "runuser",
            ["-u", "rabbitmq", "--", "env", .. _env.Select(e => $"{e.Key}={e.Value}"), command, .. arguments],
            _dir,
            // A loaded machine (five builds at once on two cores) has taken more than two minutes to boot a node.
            TimeSpan.FromSeconds(300));
}
