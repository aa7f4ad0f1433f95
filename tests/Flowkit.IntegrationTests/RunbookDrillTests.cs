using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Flowkit.Testing;

namespace Flowkit.IntegrationTests;

/// <summary>
/// Runbook drills (docs/runbooks/, issue #11): each causes its incident on loopback and shows its alert firing in a
/// real Prometheus. The rules are deploy/prometheus's, with every <c>for:</c> shortened to 1 s so a drill takes
/// seconds (the runbooks say so); the expressions and thresholds are the real ones. The drills share one Flowkit
/// process (api and engine) and one Prometheus (<see cref="DrillFixture"/>), and each asserts on its own queue or
/// workflow, so their order does not matter.
/// </summary>
[Collection(DrillCollection.Name)]
public sealed class RunbookDrillTests(DrillFixture drill)
{
    // The spike's step goes to the http queue, which no drill attaches a worker to while the spike's messages wait.
    private const string SpikeQueue = "flowkit-steps-http";
    private const string CoreQueue = "flowkit-steps-core";

    [Fact]
    public async Task Drill_BrokerTroubleDeadLetterPresent_FlowkitDeadLettersFires()
    {
        var ct = TestContext.Current.CancellationToken;
        await drill.StartAsync();

        // The incident: a message nothing can read reaches the engine's queue and is dead-lettered.
        using var management = drill.Management();
        using var response = await management.PostAsJsonAsync(
            $"api/exchanges/{Uri.EscapeDataString(drill.VirtualHost)}/amq.default/publish",
            new { properties = new { content_type = "application/vnd.masstransit+json" }, routing_key = "flowkit-runs", payload = "not json", payload_encoding = "string" },
            ct);
        response.EnsureSuccessStatusCode();

        var alert = await drill.WaitFiringAsync("FlowkitDeadLetters", new Dictionary<string, string> { ["queue"] = "flowkit-runs_error" }, TimeSpan.FromSeconds(90), ct);
        alert["severity"].Should().Be("warning");
    }

    [Fact]
    public async Task Drill_WebhookTrafficSpikeOutrunsConsumers_FlowkitQueueBacklogGrowingFires()
    {
        const int deliveries = 1100; // the alert's threshold is a backlog of 1000
        var ct = TestContext.Current.CancellationToken;
        await drill.StartAsync();
        var name = Api.UniqueName("spike");
        await drill.Api.CreateWorkflowAsync($$$"""
            name: {{{name}}}
            triggers:
              - webhook: { key: {{{name}}} }
            steps:
              - id: forward
                type: http
                with: { method: POST, url: "http://127.0.0.1:9/orders", body: "{{ input.body }}" }
            """);

        var flooded = false;
        try
        {
            // The incident: webhooks arrive much faster than the (here: absent) http workers drain their queue.
            var accepted = 0;
            await Parallel.ForEachAsync(Enumerable.Range(0, deliveries), new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = ct }, async (i, _) =>
            {
                var answer = await drill.Api.DeliverAsync(name, $$"""{"order": {{i}}}""");
                if (answer.Status == HttpStatusCode.Accepted)
                {
                    Interlocked.Increment(ref accepted);
                }
            });
            accepted.Should().Be(deliveries, "ingress is durable and the workspace limit is not reached: every delivery is a committed run");
            flooded = true;

            var alert = await drill.WaitFiringAsync("FlowkitQueueBacklogGrowing", new Dictionary<string, string> { ["queue"] = SpikeQueue }, TimeSpan.FromSeconds(120), ct);
            alert["severity"].Should().Be("warning");
        }
        finally
        {
            // Every run's step is in the queue before it is emptied, so no worker a later drill starts calls the target.
            if (flooded)
            {
                await Eventually.UntilAsync(
                    () => drill.ValueAsync($"max(flowkit_queue_messages{{queue=\"{SpikeQueue}\",state=\"ready\"}})", CancellationToken.None),
                    ready => ready >= deliveries,
                    TimeSpan.FromSeconds(120),
                    $"every step of the spike to wait in {SpikeQueue}");
            }

            using var management = drill.Management();
            (await management.DeleteAsync($"api/queues/{Uri.EscapeDataString(drill.VirtualHost)}/{SpikeQueue}/contents", CancellationToken.None)).EnsureSuccessStatusCode();
        }
    }

    [Fact]
    public async Task Drill_WorkerOutage_FlowkitConsumerMissingFiresAndTheBacklogWaitsForTheNextWorker()
    {
        var ct = TestContext.Current.CancellationToken;
        await drill.StartAsync();
        var name = Api.UniqueName("outage");
        await drill.Api.CreateWorkflowAsync($$"""
            name: {{name}}
            steps:
              - id: shape
                type: transform
                with: { ok: true }
            """);
        var missing = new Dictionary<string, string> { ["queue"] = CoreQueue };

        // Before: a worker serves the queue, so the alert is not firing for it.
        var worker = drill.StartHost("worker");
        try
        {
            var before = await drill.Api.StartRunAsync(name);
            (await drill.Api.WaitForRunEndAsync(before, TimeSpan.FromSeconds(60))).Status().Should().Be("succeeded");
            await Eventually.UntilAsync(
                () => drill.FiringAsync(ct),
                all => !all.Any(a => a["alertname"] == "FlowkitConsumerMissing" && a.GetValueOrDefault("queue") == CoreQueue),
                TimeSpan.FromSeconds(60),
                $"FlowkitConsumerMissing not to fire for {CoreQueue} while a worker consumes it");
        }
        finally
        {
            // The incident: the worker goes away (its bus stops, its consumers leave the queues).
            await worker.DisposeAsync();
        }

        var waiting = await drill.Api.StartRunAsync(name);
        var alert = await drill.WaitFiringAsync("FlowkitConsumerMissing", missing, TimeSpan.FromSeconds(90), ct);
        alert["severity"].Should().Be("critical");
        await Eventually.UntilAsync(
            () => drill.ValueAsync($"max(flowkit_queue_messages{{queue=\"{CoreQueue}\",state=\"ready\"}})", ct),
            ready => ready >= 1,
            TimeSpan.FromSeconds(60),
            $"the new run's step to wait in {CoreQueue} (the backlog panel)");
        (await drill.Api.GetRunAsync(waiting)).Status().Should().Be("running");

        // The runbook's fix: start a worker; the waiting step is handled and the run finishes.
        await using var again = drill.StartHost("worker");
        (await drill.Api.WaitForRunEndAsync(waiting, TimeSpan.FromSeconds(60))).Status().Should().Be("succeeded");
    }

    [Fact]
    public async Task Drill_RedisOutage_FlowkitRedisDegradedFiresWebhooksStillAcceptedAndItResolves()
    {
        var ct = TestContext.Current.CancellationToken;
        await drill.StartAsync();
        var name = Api.UniqueName("redis");
        await drill.Api.CreateWorkflowAsync(Hooks.Workflow(name, $"{{ key: {name} }}"));
        (await drill.Api.DeliverAsync(name, """{"n": 1}""")).Status.Should().Be(HttpStatusCode.Accepted);

        // The incident: Redis dies.
        drill.Redis.Stop();
        try
        {
            var during = await drill.Api.DeliverAsync(name, """{"n": 2}""");
            during.Status.Should().Be(HttpStatusCode.Accepted, "ingress falls back to PostgreSQL: nothing is lost");
            (await drill.Api.DeliverAsync(name, """{"n": 2}""")).Duplicate.Should().BeTrue("duplicates are still recognised without Redis");
            var alert = await drill.WaitFiringAsync("FlowkitRedisDegraded", new Dictionary<string, string>(), TimeSpan.FromSeconds(90), ct);
            alert["severity"].Should().Be("warning");
        }
        finally
        {
            await drill.Redis.RestartAsync();
        }

        // Redis back: Flowkit reconnects by itself (readiness pings it) and the alert resolves.
        await Eventually.UntilAsync(
            async () =>
            {
                using var ready = await drill.Api.GetAsync("health/ready", ct);
                return await drill.FiringAsync(ct);
            },
            all => !all.Any(a => a["alertname"] == "FlowkitRedisDegraded"),
            TimeSpan.FromSeconds(90),
            "FlowkitRedisDegraded to resolve once Redis is back");
    }

    [Fact]
    public async Task Drill_PostIncidentAnalysis_FromTheFailureRateAlertToTheRunsLogLinesAndTraceId()
    {
        var ct = TestContext.Current.CancellationToken;
        await drill.StartAsync();
        var name = Api.UniqueName("failing");
        await drill.Api.CreateWorkflowAsync($$$"""
            name: {{{name}}}
            steps:
              - id: prepare
                type: transform
                with: { order: 42 }
              - id: charge
                type: http
                with: { method: POST, url: "http://127.0.0.1:9/charge", body: "{{ steps.prepare.output }}" }
            """);

        // The incident: a workflow's runs fail (its target refuses connections). The rate of a counter needs two
        // samples, so the second failure comes after Prometheus has scraped the first.
        await using (var worker = drill.StartHost("worker"))
        {
            var first = await drill.Api.StartRunAsync(name);
            (await drill.Api.WaitForRunEndAsync(first, TimeSpan.FromSeconds(60))).Status().Should().Be("failed");
            await Eventually.UntilAsync(
                () => drill.ValueAsync($"sum(flowkit_runs_finished_total{{workflow=\"{name}\",outcome=\"failed\"}})", ct),
                count => count >= 1,
                TimeSpan.FromSeconds(60),
                "Prometheus to have scraped the first failure");
            var second = await drill.Api.StartRunAsync(name);
            (await drill.Api.WaitForRunEndAsync(second, TimeSpan.FromSeconds(60))).Status().Should().Be("failed");
        }

        // 1. The alert names the workspace and workflow.
        var alert = await drill.WaitFiringAsync("FlowkitRunFailureRateHigh", new Dictionary<string, string> { ["workflow"] = name }, TimeSpan.FromSeconds(90), ct);
        alert["workspace"].Should().Be("default");

        // 2. The runs: the workflow's failed runs, and the failed step's error.
        using var page = await drill.Api.GetAsync($"api/v1/runs?workflow={Uri.EscapeDataString(alert["workflow"])}&status=failed", ct);
        var failed = JsonDocument.Parse(await page.Content.ReadAsStringAsync(ct)).RootElement.GetProperty("items").EnumerateArray().ToList();
        failed.Should().HaveCount(2);
        var runId = failed[0].GetProperty("id").GetGuid();
        var run = await drill.Api.GetRunAsync(runId);
        Api.Step(run, "charge").Status().Should().Be("failed");
        Api.Step(run, "charge").GetProperty("error").GetString().Should().NotBeNullOrEmpty();

        // 3. The timeline: one trace id for the run, on every event the run's processing wrote.
        var events = await drill.Api.GetEventsAsync(runId);
        var traceIds = events.Where(e => e.GetProperty("type").GetString() != "RunCreated")
            .Select(e => e.GetProperty("traceId").GetString()).Distinct().ToList();
        traceIds.Should().ContainSingle().Which.Should().MatchRegex("^[0-9a-f]{32}$");
        var traceId = traceIds[0]!;

        // 4. The logs (what Kibana's "Flowkit: run timeline" shows for flowkit.run_id): ECS lines with the same trace.id.
        var lines = await Eventually.UntilAsync(
            () => Task.FromResult(RunLines(runId)),
            found => found.Any(l => l.TryGetValue("flowkit.event", out var e) && e.GetString() == "RunFailed"),
            TimeSpan.FromSeconds(30),
            $"the RunFailed log line of run {runId}");
        lines.Should().AllSatisfy(l => l["trace.id"].GetString().Should().Be(traceId, "a run's log lines carry its trace id"));
        lines.Where(l => l.ContainsKey("flowkit.event")).Select(l => l["flowkit.event"].GetString()).Should().Contain(["RunStarted", "StepFailed", "RunFailed"]);
        lines.Where(l => l.TryGetValue("flowkit.event", out var e) && e.GetString() == "StepFailed")
            .Should().AllSatisfy(l => l["flowkit.step_id"].GetString().Should().Be("charge"));
    }

    /// <summary>The Flowkit process's ECS JSON lines about <paramref name="runId"/> (its stdout, as Filebeat reads it).</summary>
    private List<Dictionary<string, JsonElement>> RunLines(Guid runId) =>
        [.. drill.Process.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(l => l.StartsWith('{') && l.Contains(runId.ToString(), StringComparison.Ordinal))
            .Select(l => JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(l)!)
            .Where(l => l.TryGetValue("flowkit.run_id", out var id) && id.GetString() == runId.ToString())];
}
