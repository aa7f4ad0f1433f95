using System.Text.Json;
using System.Text.Json.Nodes;
using Flowkit.Contracts;
using Flowkit.Definitions.Expressions;
using Flowkit.Worker.Steps;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;

namespace Flowkit.Worker.Tests;

/// <summary>
/// The worker's services as <c>AddFlowkitWorker</c> registers them, with configuration given by the test, and a way
/// to run one step through its executor.
/// </summary>
internal sealed class StepHarness : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    public StepHarness(IDictionary<string, string?>? settings = null, string environment = "Production", Action<IServiceCollection>? configure = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings ?? new Dictionary<string, string?>()).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddSingleton<IHostEnvironment>(new TestEnvironment(environment));
        services.AddFlowkitWorker();
        configure?.Invoke(services);
        _services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    public IServiceProvider Services => _services;

    /// <summary>Settings that allow loopback through the allowlist (not through Development), as production would.</summary>
    public static Dictionary<string, string?> AllowLoopbackNetwork(params (string Key, string? Value)[] more)
    {
        var settings = new Dictionary<string, string?> { ["Flowkit:Worker:Http:AllowedNetworks:0"] = "127.0.0.1/32" };
        foreach (var (key, value) in more)
        {
            settings[key] = value;
        }

        return settings;
    }

    public static ExecuteStep Command(string type, string specJson, DateTimeOffset? deadline = null, IReadOnlyDictionary<string, string>? sealedSecrets = null) => new()
    {
        RunId = Guid.Parse("0190f5b4-0000-7000-8000-000000000001"),
        StepId = "step1",
        Attempt = 1,
        StepType = type,
        Spec = JsonDocument.Parse(specJson).RootElement.Clone(),
        Input = JsonDocument.Parse("""{"name":"Ada","n":21}""").RootElement.Clone(),
        StepOutputs = new Dictionary<string, JsonElement>(),
        SealedSecrets = sealedSecrets ?? new Dictionary<string, string>(),
        Workspace = "ws1",
        Workflow = "wf",
        Version = 1,
        Deadline = deadline,
        Timestamp = DateTimeOffset.UtcNow,
    };

    /// <summary>A step's settings as the engine sends them, written as an anonymous object (<c>new { @with = ... }</c>).</summary>
    public static string Spec(object spec) => JsonSerializer.Serialize(spec);

    public Task<JsonNode?> RunAsync(string type, object spec, IReadOnlyDictionary<string, string>? secrets = null) =>
        RunAsync(type, Spec(spec), secrets);

    public Task<StepFailedException> FailAsync(string type, object spec, IReadOnlyDictionary<string, string>? secrets = null) =>
        FailAsync(type, Spec(spec), secrets);

    /// <summary>Runs one step through its executor, as the consumer would (without sealing, masking or reporting).</summary>
    public Task<JsonNode?> RunAsync(string type, string specJson, IReadOnlyDictionary<string, string>? secrets = null, CancellationToken cancellationToken = default)
    {
        var command = Command(type, specJson);
        var executor = _services.GetRequiredService<StepExecutors>().Find(type) ?? throw new InvalidOperationException($"No executor for {type}.");
        var scope = new ExpressionScope(command.Input, command.StepOutputs, new RunInfo(command.RunId, command.Workflow, command.Version, command.Attempt), secrets);
        return executor.ExecuteAsync(new StepRequest(command, scope), cancellationToken == default ? TestContext.Current.CancellationToken : cancellationToken);
    }

    /// <summary>Runs a step that must fail and returns the failure.</summary>
    public async Task<StepFailedException> FailAsync(string type, string specJson, IReadOnlyDictionary<string, string>? secrets = null)
    {
        var act = () => RunAsync(type, specJson, secrets);
        return (await act.Should().ThrowAsync<StepFailedException>()).Which;
    }

    public ValueTask DisposeAsync() => _services.DisposeAsync();

    internal sealed class TestEnvironment(string name) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = name;

        public string ApplicationName { get; set; } = "Flowkit.Worker.Tests";

        public string ContentRootPath { get; set; } = AppContext.BaseDirectory;

        public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
    }
}
