using System.Collections.Concurrent;
using Flowkit.Contracts;
using MassTransit;
using MassTransit.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Flowkit.Worker.Tests;

/// <summary>
/// A worker whose report cannot be published at first (the broker is away), and work the engine already cancelled
/// (issue #10): the step runs once, its report gets out, and cancelled work is not started.
/// </summary>
public sealed class StepReportingTests : IAsyncLifetime
{
    private readonly ConcurrentQueue<string> _calls = new();
    private LoopbackServer _server = null!;
    private ServiceProvider _services = null!;
    private ITestHarness _harness = null!;
    private int _publishFailures;

    /// <summary>Every report publish that went ahead (the harness keeps one record per MessageId, so it cannot count copies).</summary>
    private readonly ConcurrentQueue<(Guid RunId, Guid? MessageId)> _reportIds = new();

    public async ValueTask InitializeAsync()
    {
        _server = await LoopbackServer.StartAsync(app => app.MapGet("/count", (HttpContext context) =>
        {
            _calls.Enqueue(context.Request.Headers["Idempotency-Key"].ToString());
            return Results.Json(new { ok = true });
        }));
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Flowkit:Worker:Http:AllowedNetworks:0"] = "127.0.0.1/32",
            ["Flowkit:Secrets:Key"] = Convert.ToBase64String(new byte[32]),
        }).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddSingleton<IHostEnvironment>(new StepHarness.TestEnvironment(Environments.Production));
        services.AddLogging();
        services.AddFlowkitWorker();
        services.AddMassTransitTestHarness(TextWriter.Null, x =>
        {
            x.AddFlowkitWorkerConsumers();
            x.UsingInMemory((context, cfg) =>
            {
                // The broker refuses reports while _publishFailures lasts, as a broker that is down would.
                cfg.ConfigurePublish(p => p.UseExecute(c =>
                {
                    if (c is PublishContext<StepFinished> report)
                    {
                        if (Interlocked.Decrement(ref _publishFailures) >= 0)
                        {
                            throw new InvalidOperationException("The broker is unreachable (test).");
                        }

                        _reportIds.Enqueue((report.Message.RunId, report.MessageId));
                    }
                }));
                cfg.ReceiveEndpoint("steps", e => e.ConfigureConsumer<ExecuteStepConsumer>(context));
                cfg.ReceiveEndpoint("cancellations", e => e.ConfigureConsumer<StepCancellationConsumer>(context));
            });
        });
        _services = services.BuildServiceProvider(true);
        _harness = _services.GetRequiredService<ITestHarness>();
        // The default inactivity window is a few seconds; on a loaded machine a report retried with backoff can take longer.
        _harness.TestInactivityTimeout = TimeSpan.FromSeconds(20);
        await _harness.Start();
    }

    public async ValueTask DisposeAsync()
    {
        await _harness.Stop();
        await _services.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Consume_ReportPublishFailsThreeTimes_StepRunsOnceAndItsReportIsPublished()
    {
        _publishFailures = 3;
        var command = Command();

        await SendAsync("steps", command);

        var report = await ReportAsync(command.RunId);
        report.Succeeded.Should().BeTrue(report.Error?.Message);
        _calls.Should().ContainSingle("the step ran once although its report failed three times");
        (await _harness.Consumed.SelectAsync<ExecuteStep>(TestContext.Current.CancellationToken).First()).Exception
            .Should().BeNull("the message is acknowledged once the report is out, not faulted");
    }

    [Fact]
    public async Task Consume_SameAttemptRedelivered_PublishesTheSameReportWithoutRunningAgain()
    {
        var command = Command();
        await SendAsync("steps", command);
        var first = await ReportAsync(command.RunId);

        // A redelivery after the report was out (the broker went away before the ack).
        await SendAsync("steps", command);

        var consumed = 0;
        await foreach (var delivery in _harness.Consumed.SelectAsync<ExecuteStep>(m => m.Context.Message.RunId == command.RunId, TestContext.Current.CancellationToken))
        {
            delivery.Exception.Should().BeNull();
            if (++consumed == 2)
            {
                break;
            }
        }

        consumed.Should().Be(2);
        var copies = _reportIds.Where(r => r.RunId == command.RunId).ToList();
        copies.Should().HaveCount(2, "the redelivery is answered with the report");
        var id = StepReports.MessageId(command.RunId, command.StepId, command.Attempt);
        (await _harness.Published.Any<StepFinished>(m => m.Context.Message.RunId == command.RunId && m.Context.MessageId != id, TestContext.Current.CancellationToken))
            .Should().BeFalse("every copy of one attempt's report has one MessageId, so the engine's inbox drops the second");
        first.Succeeded.Should().BeTrue();
        _calls.Should().ContainSingle("the step did not run a second time");
    }

    [Fact]
    public async Task Consume_RunCancelledWhileItsStepWaitedInTheQueue_DoesNotRunIt()
    {
        var command = Command();
        await SendAsync("cancellations", new StepExecutionCancelled { RunId = command.RunId, Timestamp = DateTimeOffset.UtcNow });
        (await _harness.Consumed.Any<StepExecutionCancelled>(TestContext.Current.CancellationToken)).Should().BeTrue();

        await SendAsync("steps", command);

        (await _harness.Consumed.Any<ExecuteStep>(m => m.Context.Message.RunId == command.RunId && m.Exception is null, TestContext.Current.CancellationToken)).Should().BeTrue();
        _calls.Should().BeEmpty("the engine had cancelled the run");
        (await _harness.Published.Any<StepFinished>(m => m.Context.Message.RunId == command.RunId, TestContext.Current.CancellationToken)).Should().BeFalse();
    }

    private ExecuteStep Command() =>
        StepHarness.Command("http", StepHarness.Spec(new { @with = new { url = _server.Url("/count") } }), DateTimeOffset.UtcNow.AddMinutes(1)) with { RunId = Guid.NewGuid() };

    private async Task SendAsync<T>(string queue, T message)
        where T : class
    {
        var endpoint = await _harness.Bus.GetSendEndpoint(new Uri($"queue:{queue}"));
        await endpoint.Send(message, TestContext.Current.CancellationToken);
    }

    private async Task<StepFinished> ReportAsync(Guid runId)
    {
        await foreach (var published in _harness.Published.SelectAsync<StepFinished>(m => m.Context.Message.RunId == runId && m.Exception is null, TestContext.Current.CancellationToken))
        {
            return published.Context.Message;
        }

        throw new TimeoutException($"No StepFinished was published for run {runId}.");
    }
}
