using System.Collections.ObjectModel;
using System.Diagnostics;
using Flowkit.Testing;
using Microsoft.AspNetCore.TestHost;
using OpenTelemetry.Trace;

namespace Flowkit.IntegrationTests;

/// <summary>One trace per run across API, engine and workers (issue #11, DESIGN.md rule 8).</summary>
[Collection(FlowkitCollection.Name)]
public sealed class TraceTests(FlowkitFixture flowkit)
{
    [Fact]
    public async Task Trace_RunStartedThroughTheApi_ApiEngineAndWorkerSpansShareOneTraceId()
    {
        // A host of its own with the in-memory exporter: its listener sees the spans of every host in this
        // process, so it also records the fixture's API, engine and worker as they serve the run.
        var spans = new LockedCollection<Activity>();
        var collector = new FlowkitHost(flowkit.PostgresConnectionString, flowkit.RabbitMqUri, flowkit.Services.Redis, "api")
            .WithWebHostBuilder(b => b.ConfigureTestServices(s => s.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(spans))));
        await using var started = collector;
        _ = started.Server;

        var name = Api.UniqueName("trace");
        await flowkit.Client.CreateWorkflowAsync($$$"""
            name: {{{name}}}
            steps:
              - id: first
                type: transform
                with: { n: 1 }
              - id: second
                type: transform
                with: { n: "{{ steps.first.output.n }}" }
            """);
        var runId = await flowkit.Client.StartRunAsync(name);
        (await flowkit.Client.WaitForRunEndAsync(runId)).Status().Should().Be("succeeded");

        var request = await Eventually.UntilAsync(
            () => Task.FromResult(spans.Snapshot().FirstOrDefault(s => s.Kind == ActivityKind.Server && s.GetTagItem("url.path") as string == $"/api/v1/workflows/{name}/runs")),
            s => s is not null,
            TimeSpan.FromSeconds(10),
            "the API's span of the start request");
        var traceId = request!.TraceId;
        var trace = await Eventually.UntilAsync(
            () => Task.FromResult(spans.Snapshot().Where(s => s.TraceId == traceId).ToList()),
            t => Consumed(t, "flowkit-runs") >= 3 && Consumed(t, "flowkit-steps-core") >= 2,
            TimeSpan.FromSeconds(10),
            "engine and worker spans in the run's trace");

        trace.Should().Contain(s => s.Source.Name == "Npgsql", "the database calls of the run are in its trace");

        // The run's timeline names the same trace.
        var events = await flowkit.Client.GetEventsAsync(runId);
        events.Where(e => e.GetProperty("type").GetString() != "RunCreated")
            .Should().AllSatisfy(e => e.GetProperty("traceId").GetString().Should().Be(traceId.ToHexString()));
    }

    /// <summary>MassTransit consume spans in the trace for messages from <paramref name="queue"/>.</summary>
    private static int Consumed(List<Activity> trace, string queue) =>
        trace.Count(s => s.Source.Name == "MassTransit" && s.Kind == ActivityKind.Consumer
            && s.TagObjects.Any(t => t.Value is string v && v.Contains(queue, StringComparison.Ordinal)));

    /// <summary>A collection the exporter can add to from any thread while the test reads snapshots.</summary>
    private sealed class LockedCollection<T> : Collection<T>
    {
        private readonly Lock _lock = new();

        public List<T> Snapshot()
        {
            lock (_lock)
            {
                return [.. Items];
            }
        }

        protected override void InsertItem(int index, T item)
        {
            lock (_lock)
            {
                base.InsertItem(index, item);
            }
        }
    }
}
