using System.Text;
using Flowkit.Contracts;
using Flowkit.Testing;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace Flowkit.IntegrationTests;

/// <summary>A fixture whose in-process host serves only the API; engines and workers run as real processes.</summary>
public sealed class ApiOnlyFixture() : FlowkitFixture("api");

[CollectionDefinition(Name)]
public sealed class ProcessCollection : ICollectionFixture<ApiOnlyFixture>
{
    public const string Name = "processes";
}

/// <summary>Crashes and missing workers (issue #5): engines killed with SIGKILL, workers that never answer.</summary>
[Collection(ProcessCollection.Name)]
public sealed class ProcessTests(ApiOnlyFixture flowkit)
{
    private HttpClient Client => flowkit.Client;

    [Fact]
    public async Task Engine_KilledMidRunAndRestarted_RunCompletesWithEveryTransitionOnce()
    {
        const int length = 40;
        var name = Api.UniqueName("crash");
        var yaml = new StringBuilder($"name: {name}\nsteps:\n");
        for (var i = 1; i <= length; i++)
        {
            yaml.Append(System.Globalization.CultureInfo.InvariantCulture, $"  - {{ id: s{i}, type: transform, with: {{ i: {i} }} }}\n");
        }

        await Client.CreateWorkflowAsync(yaml.ToString());
        using var worker = flowkit.StartProcess("worker");
        var first = flowkit.StartProcess("engine");
        Guid runId;
        try
        {
            runId = await Client.StartRunAsync(name);
            await Eventually.UntilAsync(
                () => Client.GetRunAsync(runId),
                run => run.GetProperty("steps").EnumerateArray().Count(s => s.Status() == "succeeded") >= 5,
                TimeSpan.FromSeconds(60),
                $"five steps to succeed before the crash; engine output: {first.Output}");
            first.Kill();
        }
        finally
        {
            first.Dispose();
        }

        using var second = flowkit.StartProcess("engine");
        var ended = await Client.WaitForRunEndAsync(runId, TimeSpan.FromSeconds(90));

        ended.Status().Should().Be("succeeded", second.Output);
        ended.GetProperty("steps").EnumerateArray().Should().AllSatisfy(s =>
        {
            s.Status().Should().Be("succeeded");
            s.GetProperty("attempts").GetInt32().Should().Be(1);
        });
        var events = await Client.GetEventsAsync(runId);
        events.Where(e => e.GetProperty("type").GetString() == "StepSucceeded")
            .GroupBy(e => e.GetProperty("stepId").GetString())
            .Should().HaveCount(length).And.AllSatisfy(g => g.Should().ContainSingle());
        events.Count(e => e.GetProperty("type").GetString() == "RunStarted").Should().Be(1);
    }

    [Fact]
    public async Task StepTimeout_NoWorkerAnswers_EachAttemptTimesOutThenTheRunFailsAndALateAnswerChangesNothing()
    {
        var name = Api.UniqueName("timeout");
        await Client.CreateWorkflowAsync($$$"""
            name: {{{name}}}
            steps:
              - id: slow
                type: transform
                timeout: 1s
                retry: { attempts: 2, backoff: fixed, delay: 1s }
                with: { ok: true }
            """);

        // Only an engine: the ExecuteStep messages wait in their queue and nobody ever answers. One sending per attempt
        // with a short delivery window, so that silence counts as the attempt timing out at once (docs/reliability.md).
        using var engine = flowkit.StartProcess("engine", new Dictionary<string, string?>
        {
            ["Flowkit:Engine:MaxDeliveries"] = "1",
            ["Flowkit:Engine:DeliveryWindow"] = "00:00:01",
        });
        var runId = await Client.StartRunAsync(name);
        var run = await Client.WaitForRunEndAsync(runId, TimeSpan.FromSeconds(60));

        run.Status().Should().Be("failed", engine.Output);
        var step = Api.Step(run, "slow");
        step.GetProperty("attempts").GetInt32().Should().Be(2);
        step.GetProperty("attemptHistory").EnumerateArray().Should().AllSatisfy(a => a.Status().Should().Be("timed_out"));
        step.GetProperty("error").GetString().Should().Contain("timeout");

        // The first attempt's worker answers at last: it is not the current attempt, and the run has ended.
        var eventsBefore = (await Client.GetEventsAsync(runId)).Length;
        var bus = flowkit.Host.Services.GetRequiredService<IBus>();
        var endpoint = await bus.GetSendEndpoint(new Uri($"queue:{EngineQueues.Runs}"));
        var now = DateTimeOffset.UtcNow;
        var messageId = Guid.NewGuid();
        await endpoint.Send(
            new StepFinished { RunId = runId, StepId = "slow", Attempt = 1, Succeeded = true, StartedAt = now, Timestamp = now },
            Pipe.Execute<SendContext>(c => c.MessageId = messageId),
            TestContext.Current.CancellationToken);
        await Eventually.UntilAsync(
            () => flowkit.ScalarAsync<long>("SELECT count(*) FROM inbox WHERE message_id = @id", ("id", messageId)),
            count => count == 1,
            TimeSpan.FromSeconds(30),
            "the engine to consume the late answer");

        var after = await Client.GetRunAsync(runId);
        after.Status().Should().Be("failed");
        Api.Step(after, "slow").Status().Should().Be("failed");
        (await Client.GetEventsAsync(runId)).Length.Should().Be(eventsBefore);
    }
}
