using System.Net;
using Flowkit.Testing;

namespace Flowkit.IntegrationTests;

/// <summary><c>/metrics</c> in Prometheus text format, moving with work (issue #11, docs/observability.md).</summary>
[Collection(MetricsCollection.Name)]
public sealed class MetricsTests(MetricsFixture flowkit)
{
    private HttpClient Client => flowkit.Client;

    [Fact]
    public async Task Metrics_RunsOfAWorkflow_CountRunsStepsRetriesAndApiRequestsByLabel()
    {
        var name = Api.UniqueName("metrics");
        await Client.CreateWorkflowAsync($$"""
            name: {{name}}
            steps:
              - id: check
                type: condition
                if: "input.fail == true"
                then: [call]
                else: [shape]
              - id: shape
                type: transform
                with: { ok: true }
              - id: call
                type: http
                with: { method: GET, url: "http://127.0.0.1:1/refused" }
                retry: { attempts: 2, backoff: fixed, delay: 1s }
            """);
        var workflow = ("workflow", name);

        var ok = await Client.StartRunAsync(name, new { fail = false });
        var failing = await Client.StartRunAsync(name, new { fail = true });
        (await Client.WaitForRunEndAsync(ok)).Status().Should().Be("succeeded");
        (await Client.WaitForRunEndAsync(failing)).Status().Should().Be("failed");

        // Counted when the transition is decided, and a request's duration when its response has finished (after the
        // client has read it): the scrape may come a moment before the last of either is recorded.
        var metrics = await Eventually.UntilAsync(
            ScrapeAsync,
            m => m.Sum("flowkit_runs_finished_total", workflow, ("outcome", "failed")) == 1
                && m.Sum("http_server_request_duration_seconds_count",
                    ("http_route", "/api/v1/workflows/{name}/runs"), ("http_response_status_code", "202")) >= 2,
            TimeSpan.FromSeconds(10),
            "the failed run and both start requests to be counted");

        metrics.Sum("flowkit_runs_started_total", workflow).Should().Be(2);
        metrics.Sum("flowkit_runs_finished_total", workflow, ("outcome", "succeeded")).Should().Be(1);
        metrics.Sum("flowkit_steps_finished_total", ("step_type", "http"), ("outcome", "failed")).Should().BeGreaterThanOrEqualTo(1);
        metrics.Sum("flowkit_steps_finished_total", ("step_type", "transform"), ("outcome", "skipped")).Should().BeGreaterThanOrEqualTo(1);
        metrics.Sum("flowkit_steps_finished_total", ("step_type", "condition"), ("outcome", "succeeded")).Should().BeGreaterThanOrEqualTo(2);
        metrics.Sum("flowkit_steps_retries_total", ("step_type", "http")).Should().BeGreaterThanOrEqualTo(1);
        metrics.Sum("flowkit_step_duration_seconds_count", ("step_type", "http"), ("outcome", "retried")).Should().BeGreaterThanOrEqualTo(1);
        metrics.Sum("http_server_request_duration_seconds_count",
            ("http_route", "/api/v1/workflows/{name}/runs"), ("http_response_status_code", "202")).Should().BeGreaterThanOrEqualTo(2);
    }

    [Fact]
    public async Task Metrics_Scrape_ReportsQueueConsumersOutboxLagAndRedisState()
    {
        var metrics = await Eventually.UntilAsync(
            ScrapeAsync,
            // Read every 10 s from the management API, whose own statistics lag a few seconds: the first reading
            // may predate the engine's consumer, and a new queue's message counts appear with its first statistics.
            m => m.Sum("flowkit_queue_consumers", ("queue", "flowkit-runs")) >= 1
                && m.Has("flowkit_queue_messages", ("queue", "flowkit-steps-core"), ("state", "ready"))
                && m.Has("flowkit_outbox_lag_seconds"),
            TimeSpan.FromSeconds(45),
            "the queue and outbox gauges to be read");

        metrics.Sum("flowkit_queue_consumers", ("queue", "flowkit-runs")).Should().BeGreaterThanOrEqualTo(1);
        metrics.Has("flowkit_outbox_due").Should().BeTrue();
        metrics.Has("flowkit_steps_overdue").Should().BeTrue();
        metrics.Has("flowkit_ingress_redis_degraded").Should().BeTrue();
    }

    /// <summary>
    /// Scrapes the fixture's host. Meters are read process-wide, so this one host also shows what any other host of
    /// this test process counted (summing several hosts' scrapes would count each measurement once per host).
    /// </summary>
    private async Task<PrometheusText> ScrapeAsync()
    {
        using var response = await Client.GetAsync("/metrics", TestContext.Current.CancellationToken);
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.Should().Be("text/plain");
        return PrometheusText.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }
}
