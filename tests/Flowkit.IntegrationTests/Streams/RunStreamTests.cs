using System.Net;
using System.Text.Json;
using Flowkit.Testing;

namespace Flowkit.IntegrationTests.Streams;

/// <summary>
/// The live run stream, <c>GET /api/v1/runs/{id}/events/stream</c> (issue #11, CONTRACT.md section 2), read by a real
/// HttpClient from an API-only process while another host's engine and worker run the run.
/// </summary>
[Collection(RunStreamCollection.Name)]
public sealed class RunStreamTests(RunStreamFixture flowkit)
{
    /// <summary>Well under the host's 60 s heartbeat: an event that arrives within this came by notification.</summary>
    private static readonly TimeSpan Live = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task EventStream_RunInProgress_SendsEachEventOnceInOrderAndEndsAfterTheTerminalOne()
    {
        var runId = await StartWaitingRunAsync();
        using var stream = await SseReader.OpenAsync(flowkit.StreamClient, $"/api/v1/runs/{runId}/events/stream");
        stream.Response.StatusCode.Should().Be(HttpStatusCode.OK, stream.Response.StatusCode == HttpStatusCode.OK ? "" : await stream.RestAsync());
        stream.Response.Content.Headers.ContentType!.MediaType.Should().Be("text/event-stream");

        var received = await ReadUntilAsync(stream, "ApprovalRequested");
        await ApproveAsync(runId);
        received.AddRange(await stream.ReadToEndAsync(Live));

        var timeline = await flowkit.Client.GetEventsAsync(runId);
        received.Select(Sequence).Should().Equal(timeline.Select(e => e.GetProperty("sequence").GetInt64()), "each event once, in order, none missing");
        received.Select(e => e.Event).Should().Equal(timeline.Select(e => e.GetProperty("type").GetString()));
        received[^1].Event.Should().Be("RunSucceeded", "the stream ends after the run's terminal event");
        received.Should().AllSatisfy(e => e.Id.Should().NotBeNullOrEmpty());
    }

    [Fact]
    public async Task EventStream_ResumedWithLastEventId_ContinuesAfterItWithoutGapsOrRepeats()
    {
        var runId = await StartWaitingRunAsync();
        List<SseEvent> before;
        using (var first = await SseReader.OpenAsync(flowkit.StreamClient, $"/api/v1/runs/{runId}/events/stream"))
        {
            before = await ReadUntilAsync(first, "ApprovalRequested");
        }

        // Disconnected: the run goes on and ends meanwhile.
        await ApproveAsync(runId);
        await flowkit.Client.WaitForRunEndAsync(runId);

        using var resumed = await SseReader.OpenAsync(flowkit.StreamClient, $"/api/v1/runs/{runId}/events/stream", before[^1].Id);
        resumed.Response.StatusCode.Should().Be(HttpStatusCode.OK);
        var after = await resumed.ReadToEndAsync(Live);

        after.Should().NotBeEmpty();
        Sequence(after[0]).Should().BeGreaterThan(Sequence(before[^1]));
        var timeline = await flowkit.Client.GetEventsAsync(runId);
        before.Concat(after).Select(Sequence).Should().Equal(timeline.Select(e => e.GetProperty("sequence").GetInt64()));
        after[^1].Event.Should().Be("RunSucceeded");
    }

    [Fact]
    public async Task EventStream_FinishedRun_SendsItsHistoryAndEnds()
    {
        var name = Api.UniqueName("stream-done");
        await flowkit.Client.CreateWorkflowAsync($$"""
            name: {{name}}
            steps:
              - { id: one, type: transform, with: { n: 1 } }
              - { id: two, type: transform, with: { n: 2 } }
            """);
        var runId = await flowkit.Client.StartRunAsync(name);
        await flowkit.Client.WaitForRunEndAsync(runId);

        using var stream = await SseReader.OpenAsync(flowkit.StreamClient, $"/api/v1/runs/{runId}/events/stream");
        var events = await stream.ReadToEndAsync(Live);

        var timeline = await flowkit.Client.GetEventsAsync(runId);
        events.Select(e => e.Data).Should().Equal(timeline.Select(e => e.GetRawText()), "each event's data is the event as GET /events shows it");
        events[0].Event.Should().Be("RunCreated");
        events[^1].Event.Should().Be("RunSucceeded");
    }

    [Fact]
    public async Task EventStream_AnotherWorkspacesRun_Answers404()
    {
        var runId = await StartWaitingRunAsync();
        var key = await flowkit.Client.CreateKeyAsync("stream-outsider", Api.UniqueName("stream-outsider"));
        using var outsider = flowkit.CreateStreamClient(key);

        using var stream = await SseReader.OpenAsync(outsider, $"/api/v1/runs/{runId}/events/stream");

        stream.Response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        stream.Response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
    }

    [Fact]
    public async Task EventStream_LastEventIdNotFromTheStream_Answers422NamingTheHeader()
    {
        var runId = await StartWaitingRunAsync();

        using var stream = await SseReader.OpenAsync(flowkit.StreamClient, $"/api/v1/runs/{runId}/events/stream", "not-an-id");

        var text = await stream.RestAsync();
        stream.Response.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity, text);
        var problem = JsonDocument.Parse(text).RootElement;
        problem.GetProperty("errors")[0].GetProperty("path").GetString().Should().Be("headers.Last-Event-ID");
    }

    [Fact]
    public async Task EventStream_MoreStreamsThanTheBound_Answers503WithRetryAfter()
    {
        var runId = await StartWaitingRunAsync();
        var open = new List<SseReader>();
        try
        {
            // The host allows 4 (Flowkit:RunStream:MaxStreams); streams of other tests may still be closing.
            SseReader? refused = null;
            for (var i = 0; i < 5 && refused is null; i++)
            {
                var stream = await SseReader.OpenAsync(flowkit.StreamClient, $"/api/v1/runs/{runId}/events/stream");
                open.Add(stream);
                if (stream.Response.StatusCode == HttpStatusCode.ServiceUnavailable)
                {
                    refused = stream;
                }
                else
                {
                    // Open for real: the history has arrived.
                    await ReadUntilAsync(stream, "ApprovalRequested");
                }
            }

            refused.Should().NotBeNull("the fifth stream is over the bound of 4");
            refused!.Response.Headers.RetryAfter.Should().NotBeNull();
        }
        finally
        {
            open.ForEach(s => s.Dispose());
        }

        // The places free again once the server has seen the clients go.
        await Eventually.UntilAsync(
            async () =>
            {
                using var again = await SseReader.OpenAsync(flowkit.StreamClient, $"/api/v1/runs/{runId}/events/stream");
                return again.Response.StatusCode;
            },
            status => status == HttpStatusCode.OK,
            TimeSpan.FromSeconds(10),
            "a stream to be served again");
    }

    /// <summary>A run that waits for an approval of step <c>ask</c> before it finishes.</summary>
    private async Task<Guid> StartWaitingRunAsync()
    {
        var name = Api.UniqueName("stream");
        await flowkit.Client.CreateWorkflowAsync($$"""
            name: {{name}}
            steps:
              - { id: prepare, type: transform, with: { n: 1 } }
              - { id: ask, type: approval, message: "Go on?" }
              - { id: after, type: transform, with: { ok: true } }
            """);
        return await flowkit.Client.StartRunAsync(name);
    }

    private async Task ApproveAsync(Guid runId)
    {
        var (status, body) = await flowkit.Client.PostJsonAsync($"/api/v1/runs/{runId}/approvals/ask", new { decision = "approve" });
        status.Should().Be(HttpStatusCode.OK, body.ToString());
    }

    private static async Task<List<SseEvent>> ReadUntilAsync(SseReader stream, string type)
    {
        var events = new List<SseEvent>();
        while (events.Count == 0 || events[^1].Event != type)
        {
            var next = await stream.NextAsync(TimeSpan.FromSeconds(30));
            next.Should().NotBeNull($"the stream ended before {type}; got {string.Join(", ", events.Select(e => e.Event))}");
            events.Add(next!);
        }

        return events;
    }

    private static long Sequence(SseEvent e) => JsonDocument.Parse(e.Data).RootElement.GetProperty("sequence").GetInt64();
}
