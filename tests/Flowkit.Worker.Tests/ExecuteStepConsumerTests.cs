using System.Collections.Concurrent;
using System.Security.Cryptography;
using Flowkit.Contracts;
using Flowkit.Definitions.Secrets;
using MassTransit;
using MassTransit.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Flowkit.Worker.Tests;

/// <summary>
/// The consumer over MassTransit's in-memory harness: secrets unsealed for the step and masked in everything it
/// reports and logs; deadlines; failures that are bugs; shutdown.
/// </summary>
public sealed class ExecuteStepConsumerTests : IAsyncLifetime
{
    private const string Token = "tok-9f8e7d6c5b4a";
    private static readonly byte[] Key = RandomNumberGenerator.GetBytes(32);
    private readonly SecretBox _box = new(Key);
    private readonly CapturedLogs _logs = new();
    private readonly ConcurrentQueue<string> _authorizations = new();
    private LoopbackServer _server = null!;
    private ServiceProvider _services = null!;
    private ITestHarness _harness = null!;

    public async ValueTask InitializeAsync()
    {
        _server = await LoopbackServer.StartAsync(app =>
        {
            app.MapGet("/echo-fail", (HttpContext context) =>
            {
                var authorization = context.Request.Headers.Authorization.ToString();
                _authorizations.Enqueue(authorization);
                return Results.Text($"rejected credentials '{authorization}'", statusCode: 500);
            });
            app.MapGet("/echo", (HttpContext context) =>
            {
                _authorizations.Enqueue(context.Request.Headers.Authorization.ToString());
                return Results.Json(new { youSent = context.Request.Headers.Authorization.ToString() });
            });
            app.MapGet("/slow", async (CancellationToken cancellationToken) =>
            {
                _authorizations.Enqueue("slow");
                await Task.Delay(TimeSpan.FromSeconds(30), cancellationToken);
                return Results.Ok();
            });
        });

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Flowkit:Secrets:Key"] = Convert.ToBase64String(Key),
            ["Flowkit:Worker:Http:AllowedNetworks:0"] = "127.0.0.1/32",
            ["Flowkit:Worker:ShutdownGracePeriod"] = "00:00:00.300",
        }).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddSingleton<IHostEnvironment>(new StepHarness.TestEnvironment(Environments.Production));
        services.AddFlowkitWorker();
        services.AddMassTransitTestHarness(TextWriter.Null, x =>
        {
            x.AddFlowkitWorkerConsumers();
            x.UsingInMemory((context, cfg) => cfg.ReceiveEndpoint("steps", e => e.ConfigureConsumer<ExecuteStepConsumer>(context)));
        });
        services.AddLogging(b => b.AddProvider(_logs).SetMinimumLevel(LogLevel.Trace));
        _services = services.BuildServiceProvider(true);
        _harness = _services.GetRequiredService<ITestHarness>();
        await _harness.Start();
    }

    public async ValueTask DisposeAsync()
    {
        await _harness.Stop();
        await _services.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Consume_StepUsingASecret_ReportsOutputWithTheValueMasked()
    {
        var command = Command("transform", new { @with = new { header = "Bearer {{ secrets.api_token }}", raw = "{{ secrets.api_token }}", plain = "kept" } }, Seal("api_token", Token));

        var finished = await RunAsync(command);

        finished.Succeeded.Should().BeTrue(finished.Error?.Message);
        finished.Output!.Value.GetRawText().Should().Be("""{"header":"Bearer ***","raw":"***","plain":"kept"}""");
        _logs.All.Should().NotContain(Token);
    }

    [Fact]
    public async Task Consume_TargetEchoingTheSecret_ReportsOutputAndErrorsMasked()
    {
        var ok = await RunAsync(Command("http", new { @with = new { url = _server.Url("/echo"), headers = new { Authorization = "Bearer {{ secrets.api_token }}" } } }, Seal("api_token", Token)));
        var failed = await RunAsync(Command("http", new { @with = new { url = _server.Url("/echo-fail"), headers = new { Authorization = "Bearer {{ secrets.api_token }}" } } }, Seal("api_token", Token)));

        _authorizations.Should().Equal($"Bearer {Token}", $"Bearer {Token}");
        ok.Output!.Value.GetProperty("body").GetProperty("youSent").GetString().Should().Be("Bearer ***");
        failed.Succeeded.Should().BeFalse();
        failed.Error!.Retryable.Should().BeTrue();
        failed.Error.Message.Should().Contain("rejected credentials 'Bearer ***'").And.NotContain(Token);
        _logs.All.Should().NotContain(Token).And.Contain("rejected credentials 'Bearer ***'");
    }

    [Fact]
    public async Task Consume_SecretInTheUrl_IsMaskedInTheError()
    {
        // A Slack webhook URL is itself the secret.
        var url = _server.Url("/services/T0/B0/" + Token);
        var finished = await RunAsync(Command("notify", new { @with = new { url = "{{ secrets.slack_url }}", text = "hi" } }, Seal("slack_url", url)));

        finished.Error!.Message.Should().Contain("***").And.NotContain(Token);
        _logs.All.Should().NotContain(Token);
    }

    [Fact]
    public async Task Consume_SecretSealedForAnotherName_FailsWithoutRetry()
    {
        var command = Command("transform", new { @with = new { v = "{{ secrets.api_token }}" } },
            new Dictionary<string, string> { ["api_token"] = _box.Seal("ws1", "other_name", Token) });

        var finished = await RunAsync(command);

        finished.Succeeded.Should().BeFalse();
        finished.Error!.Code.Should().Be("secret");
        finished.Error.Retryable.Should().BeFalse();
        finished.Error.Message.Should().Contain("'api_token'");
    }

    [Fact]
    public async Task Consume_DeadlinePassedWhileQueued_FailsAsTimeoutWithoutRunning()
    {
        var command = Command("http", new { @with = new { url = _server.Url("/echo") } }) with { Deadline = DateTimeOffset.UtcNow.AddSeconds(-1) };

        var finished = await RunAsync(command);

        finished.Error!.Code.Should().Be("timeout");
        finished.Error.Retryable.Should().BeTrue();
        _authorizations.Should().BeEmpty("the target must not be called after the deadline");
    }

    [Fact]
    public async Task Consume_QueuedLongerThanItsTimeoutWithinItsWindow_RunsWithTheTimeoutCountedFromItsStart()
    {
        // Issue #10: dispatched 10 s ago with a 2 s timeout (an outage held it); its window runs for another minute.
        var now = DateTimeOffset.UtcNow;
        var command = Command("http", new { @with = new { url = _server.Url("/echo") } }) with
        {
            Timestamp = now.AddSeconds(-10),
            Deadline = now.AddSeconds(-8),
            Timeout = TimeSpan.FromSeconds(2),
            StartBy = now.AddMinutes(1),
        };

        var finished = await RunAsync(command);

        finished.Succeeded.Should().BeTrue(finished.Error?.Message);
        _authorizations.Should().ContainSingle();
    }

    [Fact]
    public async Task Consume_ReceivedAfterItsWindow_IsNotStartedNorReported()
    {
        var now = DateTimeOffset.UtcNow;
        var command = Command("http", new { @with = new { url = _server.Url("/echo") } }) with
        {
            Timestamp = now.AddSeconds(-10),
            Deadline = now.AddSeconds(-3),
            Timeout = TimeSpan.FromSeconds(2),
            StartBy = now.AddSeconds(-5),
        };

        await SendAsync(command);
        await Wait.UntilAsync(() => _logs.Lines.Any(l => l.Contains("[3011]", StringComparison.Ordinal)), TimeSpan.FromSeconds(10), "the worker to pass over the late copy");

        (await _harness.Published.Any<StepFinished>(m => m.Context.Message.RunId == command.RunId, TestContext.Current.CancellationToken))
            .Should().BeFalse("the engine sends the attempt again; a report of this copy would end it");
        _authorizations.Should().BeEmpty("a copy past its window is superseded and must not call the target");
    }

    [Fact]
    public async Task Consume_DeadlineReachedDuringTheCall_FailsAsRetryableTimeout()
    {
        var command = Command("http", new { @with = new { url = _server.Url("/slow") } }) with { Deadline = DateTimeOffset.UtcNow.AddSeconds(2) };

        var finished = await RunAsync(command);

        finished.Error!.Code.Should().Be("timeout");
        finished.Error.Retryable.Should().BeTrue();
        finished.Error.Message.Should().Contain("did not finish within its timeout");
    }

    [Fact]
    public async Task Consume_UnknownStepType_FailsWithoutRetry()
    {
        var finished = await RunAsync(Command("teleport", new { @with = new { } }));

        finished.Error!.Code.Should().Be("unsupported");
        finished.Error.Retryable.Should().BeFalse();
    }

    [Fact]
    public async Task Consume_StepThatCrashes_IsReportedNotLost()
    {
        // A condition without 'if' cannot come from a valid definition; the executor throws, the run still hears of it.
        var finished = await RunAsync(Command("condition", new { then = (string[])["x"] }));

        finished.Succeeded.Should().BeFalse();
        finished.Error!.Code.Should().Be("internal");
        _logs.Lines.Should().Contain(l => l.Contains("[3003]", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Stop_StepStillRunningAfterTheGracePeriod_IsHandedBackWithoutAReport()
    {
        var command = Command("http", new { @with = new { url = _server.Url("/slow") } });
        await SendAsync(command);
        await Wait.UntilAsync(() => !_authorizations.IsEmpty, TimeSpan.FromSeconds(10), "the slow call to start");

        await _services.GetRequiredService<IBusControl>().StopAsync(TestContext.Current.CancellationToken);

        (await _harness.Published.Any<StepFinished>(TestContext.Current.CancellationToken))
            .Should().BeFalse("an interrupted attempt is not reported; its message goes back to the queue");
        _logs.Lines.Should().Contain(l => l.Contains("[3004]", StringComparison.Ordinal));
    }

    private Dictionary<string, string> Seal(string name, string value) => new() { [name] = _box.Seal("ws1", name, value) };

    private static ExecuteStep Command(string type, object spec, IReadOnlyDictionary<string, string>? sealedSecrets = null) =>
        StepHarness.Command(type, StepHarness.Spec(spec), sealedSecrets: sealedSecrets) with { RunId = Guid.NewGuid() };

    private async Task SendAsync(ExecuteStep command)
    {
        var endpoint = await _harness.Bus.GetSendEndpoint(new Uri("queue:steps"));
        await endpoint.Send(command, TestContext.Current.CancellationToken);
    }

    private async Task<StepFinished> RunAsync(ExecuteStep command)
    {
        await SendAsync(command);
        await foreach (var published in _harness.Published.SelectAsync<StepFinished>(m => m.Context.Message.RunId == command.RunId, TestContext.Current.CancellationToken))
        {
            return published.Context.Message;
        }

        throw new TimeoutException($"No StepFinished was published for run {command.RunId}.");
    }
}
