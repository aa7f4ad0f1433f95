using System.Diagnostics;
using System.Net;
using Flowkit.Testing;

namespace Flowkit.IntegrationTests.Faults;

/// <summary>
/// PostgreSQL and RabbitMQ outages while runs are in flight (issue #10), on the private instances of
/// <see cref="FaultFixture"/>: every accepted run finishes with the outcome it would have had, no step runs twice,
/// nothing lands in an error queue, and readiness says what is going on.
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class OutageTests(FaultFixture flowkit)
{
    private const int HeldRuns = 6;
    private const int LateRuns = 4;

    [Fact]
    public async Task Runs_PostgresKilledFor30Seconds_AllSucceedWithNothingDeadLettered()
    {
        await using var gate = await GateTarget.StartAsync();
        var name = await CreateWorkflowAsync(gate, "pg-outage");
        await CountDeadLettersBeforeAsync();
        var held = await StartRunsAsync(name, HeldRuns);
        await Eventually.UntilAsync(() => Task.FromResult(gate.Waiting), n => n == HeldRuns, TimeSpan.FromSeconds(60), "every held run's first step to reach the gate");
        var late = await StartRunsAsync(name, LateRuns);

        flowkit.Postgres.Kill();
        try
        {
            // The workers finish now: their reports, and the late runs' StartRun, reach an engine without a database.
            gate.Open();
            await StayDownAsync(TimeSpan.FromSeconds(30), "PostgreSQL");
        }
        finally
        {
            await flowkit.Postgres.RestartAsync();
        }

        await ExpectAllSucceededAsync([.. held, .. late], gate);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Runs_RabbitMqKilledOrStoppedAndStarted_ConsumersComeBackAndRunsFinish(bool kill)
    {
        await using var gate = await GateTarget.StartAsync();
        var name = await CreateWorkflowAsync(gate, "mq-outage");
        await Eventually.UntilAsync(ReadyAsync, status => status == HttpStatusCode.OK, TimeSpan.FromSeconds(60), "readiness before the outage");
        await CountDeadLettersBeforeAsync();
        var held = await StartRunsAsync(name, HeldRuns);
        await Eventually.UntilAsync(() => Task.FromResult(gate.Waiting), n => n == HeldRuns, TimeSpan.FromSeconds(60), "every held run's first step to reach the gate");

        if (kill)
        {
            flowkit.RabbitMq.Kill();
        }
        else
        {
            await flowkit.RabbitMq.StopAsync();
        }

        List<Guid> late;
        try
        {
            // Workers finish while the broker is away: their reports must wait for it, not vanish or run the step again.
            gate.Open();
            late = await StartRunsAsync(name, LateRuns);
            await Eventually.UntilAsync(ReadyAsync, status => status == HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(30), "readiness to say 503 while RabbitMQ is down");
            await StayDownAsync(TimeSpan.FromSeconds(10), "RabbitMQ");
        }
        finally
        {
            await flowkit.RabbitMq.RestartAsync();
        }

        await Eventually.UntilAsync(
            flowkit.RabbitMq.QueuesAsync,
            queues => ConsumedQueues.All(q => queues.Any(x => x.Name.EndsWith(q, StringComparison.Ordinal) && x.Consumers > 0)),
            TimeSpan.FromSeconds(90),
            "a consumer on every Flowkit queue again, without restarting the host");
        await Eventually.UntilAsync(ReadyAsync, status => status == HttpStatusCode.OK, TimeSpan.FromSeconds(60), "readiness to say 200 again");
        await ExpectAllSucceededAsync([.. held, .. late], gate);
    }

    private static readonly string[] ConsumedQueues = ["flowkit-runs", "flowkit-steps-core", "flowkit-steps-http", "flowkit-steps-notify", "flowkit-steps-script"];

    private async Task<string> CreateWorkflowAsync(GateTarget gate, string prefix)
    {
        var name = Api.UniqueName(prefix);
        await flowkit.Client.CreateWorkflowAsync($$$"""
            name: {{{name}}}
            steps:
              - id: call
                type: http
                with: { url: "{{{gate.Url}}}" }
                timeout: 5m
              - id: after
                type: transform
                with: { passed: "{{ steps.call.output.body.passed }}" }
            """);
        return name;
    }

    private async Task<List<Guid>> StartRunsAsync(string name, int count)
    {
        var runs = new List<Guid>();
        for (var i = 0; i < count; i++)
        {
            runs.Add(await flowkit.Client.StartRunAsync(name, new { i }));
        }

        return runs;
    }

    /// <summary>Keeps the service down for <paramref name="downtime"/> (a deadline on a condition), failing fast if a message is dead-lettered meanwhile.</summary>
    private async Task StayDownAsync(TimeSpan downtime, string service)
    {
        var down = Stopwatch.StartNew();
        await Eventually.UntilAsync(
            async () => (Elapsed: down.Elapsed, DeadLetters: await DeadLettersAsync()),
            s => s.DeadLetters > 0 || s.Elapsed >= downtime,
            downtime + TimeSpan.FromSeconds(30),
            $"{service} to have been down {downtime.TotalSeconds} s");
        (await DeadLettersAsync()).Should().Be(0, $"no message is dead-lettered because {service} is down");
    }

    /// <summary>Messages in error queues now, beyond those an earlier test of the collection left (the broker is shared).</summary>
    private async Task<int> DeadLettersAsync() =>
        (await flowkit.RabbitMq.QueuesAsync()).Where(q => q.Name.EndsWith("_error", StringComparison.Ordinal)).Sum(q => q.Messages) - _deadLettersBefore;

    private int _deadLettersBefore;

    private async Task CountDeadLettersBeforeAsync() => _deadLettersBefore = await DeadLettersAsync();

    private async Task<HttpStatusCode> ReadyAsync()
    {
        try
        {
            using var response = await flowkit.Client.GetAsync("/health/ready", TestContext.Current.CancellationToken);
            return response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return 0;
        }
    }

    private async Task ExpectAllSucceededAsync(IReadOnlyList<Guid> runs, GateTarget gate)
    {
        foreach (var runId in runs)
        {
            System.Text.Json.JsonElement run;
            try
            {
                run = await flowkit.Client.WaitForRunEndAsync(runId, TimeSpan.FromSeconds(120));
            }
            catch (TimeoutException e)
            {
                var events = await flowkit.Client.GetEventsAsync(runId);
                throw new TimeoutException($"{e.Message}; its timeline: {string.Join(", ", events.Select(v => v.GetProperty("type").GetString()))}; the target saw {gate.Calls.GetValueOrDefault($"{runId}:call")} call(s) for it", e);
            }

            run.Status().Should().Be("succeeded", run.ToString());
        }

        (await DeadLettersAsync()).Should().Be(0, "only poison goes to an error queue");
        gate.Calls.Should().HaveCount(runs.Count).And.AllSatisfy(c => c.Value.Should().Be(1, $"step {c.Key} ran once"));
    }
}
