using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text.Json;
using Flowkit.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Flowkit.IntegrationTests;

/// <summary>Workers end to end: real RabbitMQ queues, a real HTTP target, and more than one worker process.</summary>
[Collection(FlowkitCollection.Name)]
public sealed class WorkerTests(FlowkitFixture flowkit)
{
    [Fact]
    public async Task HttpStep_CallsTheTargetWithTheStableIdempotencyKey()
    {
        await using var target = await StepTargets.StartAsync();
        var name = Api.UniqueName("http");
        await flowkit.Client.CreateWorkflowAsync($$$"""
            name: {{{name}}}
            steps:
              - id: fetch
                type: http
                with: { method: GET, url: "{{{target.Url("echo")}}}?id={{ input.id }}" }
                timeout: 10s
              - id: use
                type: transform
                with: { seen: "{{ steps.fetch.output.body.path }}", status: "{{ steps.fetch.output.status }}" }
            """);

        var runId = await flowkit.Client.StartRunAsync(name, new { id = 42 });
        var run = await flowkit.Client.WaitForRunEndAsync(runId);

        run.GetProperty("status").GetString().Should().Be("succeeded", run.ToString());
        target.Received.Should().ContainSingle().Which.IdempotencyKey.Should().Be($"{runId}:fetch");
        var use = run.GetProperty("steps").EnumerateArray().Single(s => s.GetProperty("id").GetString() == "use");
        use.GetProperty("output").GetProperty("seen").GetString().Should().Be("/echo");
        use.GetProperty("output").GetProperty("status").GetInt32().Should().Be(200);
    }

    [Fact]
    public async Task HttpStep_TargetOnAPrivateAddress_FailsTheRunWithTheReason()
    {
        var name = Api.UniqueName("ssrf");
        await flowkit.Client.CreateWorkflowAsync($$"""
            name: {{name}}
            steps:
              - id: steal
                type: http
                with: { url: "http://169.254.169.254/latest/meta-data/iam/security-credentials/" }
                retry: { attempts: 3, delay: 1s }
            """);

        var run = await flowkit.Client.WaitForRunEndAsync(await flowkit.Client.StartRunAsync(name));

        run.GetProperty("status").GetString().Should().Be("failed", run.ToString());
        var step = run.GetProperty("steps")[0];
        step.GetProperty("attempts").GetInt32().Should().Be(1, "a refused address is not retried");
        step.GetProperty("error").GetString().Should().Contain("cloud metadata");
    }

    [Fact]
    public async Task Workers_TwoProcesses_ShareOneQueue()
    {
        // Each host creates its meters through its own IMeterFactory, so a measurement says which host made it.
        var byHost = new ConcurrentDictionary<object, int>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Flowkit.Worker" && instrument.Name == "flowkit.worker.steps")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, state) =>
        {
            if (instrument.Meter.Scope is { } scope)
            {
                byHost.AddOrUpdate(scope, 1, (_, n) => n + 1);
            }
        });
        listener.Start();

        var second = flowkit.StartHost("worker");
        try
        {
            var first = flowkit.Host.Services.GetRequiredService<IMeterFactory>();
            var other = second.Services.GetRequiredService<IMeterFactory>();
            var name = Api.UniqueName("shared");
            await flowkit.Client.CreateWorkflowAsync($$$"""
                name: {{{name}}}
                steps:
                  - id: one
                    type: transform
                    with: { n: "{{ input.n }}" }
                """);

            // RabbitMQ hands the queue's messages to its consumers in turn; keep starting runs until both worked.
            var runs = new List<Guid>();
            await Eventually.UntilAsync(
                async () =>
                {
                    for (var i = 0; i < 5; i++)
                    {
                        runs.Add(await flowkit.Client.StartRunAsync(name, new { n = runs.Count }));
                    }

                    foreach (var runId in runs.TakeLast(5))
                    {
                        await flowkit.Client.WaitForRunEndAsync(runId);
                    }

                    return (First: byHost.GetValueOrDefault(first), Second: byHost.GetValueOrDefault(other));
                },
                counts => counts.First > 0 && counts.Second > 0,
                TimeSpan.FromSeconds(60),
                "both worker hosts to run steps");

            foreach (var runId in runs)
            {
                (await flowkit.Client.GetRunAsync(runId)).GetProperty("status").GetString().Should().Be("succeeded");
            }
        }
        finally
        {
            // Stop the extra worker (a graceful shutdown) so later tests see one worker.
            await second.DisposeAsync();
        }
    }

    [Fact]
    public async Task Secrets_UsedByARun_NeverAppearInItsApiBodyTimelineOrLogs()
    {
        var secret = $"sk-live-{Guid.NewGuid():N}";
        var secretName = SecretsTests.SecretName();
        using (var put = await flowkit.Client.PutAsync(
            $"/api/v1/secrets/{secretName}",
            JsonContent(new { value = secret }),
            TestContext.Current.CancellationToken))
        {
            put.StatusCode.Should().Be(System.Net.HttpStatusCode.NoContent);
        }

        await using var target = await StepTargets.StartAsync();
        using var logs = new CapturedLogs();
        flowkit.Host.Services.GetRequiredService<Microsoft.Extensions.Logging.ILoggerFactory>().AddProvider(logs);
        var name = Api.UniqueName("secret");
        await flowkit.Client.CreateWorkflowAsync($$$"""
            name: {{{name}}}
            steps:
              - id: call
                type: http
                with:
                  url: "{{{target.Url("echo")}}}"
                  headers: { Authorization: "Bearer {{ secrets.{{{secretName}}} }}" }
              - id: copy
                type: transform
                with: { leaked: "{{ secrets.{{{secretName}}} }}", echoed: "{{ steps.call.output.body.authorization }}" }
              - id: shout
                type: script
                with: { code: "throw new Error('the key is ' + secrets.{{{secretName}}})" }
            """);

        var runId = await flowkit.Client.StartRunAsync(name);
        var run = await flowkit.Client.WaitForRunEndAsync(runId);
        var runBody = run.ToString();
        var timeline = await TimelineAsync(runId);

        target.Received.Should().ContainSingle().Which.Authorization.Should().Be($"Bearer {secret}", "the worker resolved the secret for the call");
        run.GetProperty("steps")[1].GetProperty("output").GetProperty("leaked").GetString().Should().Be("***");
        run.GetProperty("steps")[1].GetProperty("output").GetProperty("echoed").GetString().Should().Be("Bearer ***");
        run.GetProperty("steps")[2].GetProperty("error").GetString().Should().Contain("the key is ***");
        runBody.Should().NotContain(secret);
        timeline.Should().NotContain(secret);
        logs.Count.Should().BeGreaterThan(0);
        logs.All.Should().NotContain(secret);
    }

    private static StringContent JsonContent(object value) =>
        new(JsonSerializer.Serialize(value), System.Text.Encoding.UTF8, "application/json");

    /// <summary>The run's stored timeline, read from the database until GET /api/v1/runs/{id}/events exists.</summary>
    private async Task<string> TimelineAsync(Guid runId)
    {
        await using var connection = new Npgsql.NpgsqlConnection(flowkit.PostgresConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = new Npgsql.NpgsqlCommand("SELECT coalesce(string_agg(type || ' ' || coalesce(data::text, ''), E'\n' ORDER BY id), '') FROM run_events WHERE run_id = @id", connection);
        command.Parameters.AddWithValue("id", runId);
        return (string)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }
}
