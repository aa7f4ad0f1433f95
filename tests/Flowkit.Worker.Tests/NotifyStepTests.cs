using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Flowkit.Worker.Tests;

/// <summary>The notify step against a Slack-compatible webhook on loopback.</summary>
public sealed class NotifyStepTests : IAsyncLifetime
{
    private readonly ConcurrentQueue<(string ContentType, string Body, string IdempotencyKey)> _received = new();
    private readonly StepHarness _worker = new(StepHarness.AllowLoopbackNetwork());
    private LoopbackServer _slack = null!;

    public async ValueTask InitializeAsync()
    {
        _slack = await LoopbackServer.StartAsync(app =>
        {
            app.MapPost("/services/T000/B000/ok", async (HttpContext context) =>
            {
                using var reader = new StreamReader(context.Request.Body);
                _received.Enqueue((context.Request.ContentType ?? "", await reader.ReadToEndAsync(), context.Request.Headers["Idempotency-Key"].ToString()));
                return Results.Text("ok");
            });
            app.MapPost("/status/{code:int}", (int code) => Results.Text("no_text", statusCode: code));
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _slack.DisposeAsync();
        await _worker.DisposeAsync();
    }

    [Fact]
    public async Task Notify_Webhook_PostsTextAsJsonAndOutputsStatus()
    {
        var output = await _worker.RunAsync("notify", new { @with = new { url = _slack.Url("/services/T000/B000/ok"), text = "Paid {{ input.name }}: \"{{ input.n }}\"" } });

        output!.ToJsonString().Should().Be("""{"status":200}""");
        _received.Should().ContainSingle();
        var (contentType, body, key) = _received.Single();
        contentType.Should().StartWith("application/json");
        JsonDocument.Parse(body).RootElement.GetProperty("text").GetString().Should().Be("Paid Ada: \"21\"");
        key.Should().EndWith(":step1");
    }

    [Theory]
    [InlineData(500, true)]
    [InlineData(503, true)]
    [InlineData(429, true)]
    [InlineData(400, false)]
    [InlineData(403, false)]
    [InlineData(404, false)]
    public async Task Notify_WebhookError_FailsRetryableOnlyFor5xxAnd429(int status, bool retryable)
    {
        var failure = await _worker.FailAsync("notify", new { @with = new { url = _slack.Url($"/status/{status}"), text = "hi" } });

        failure.Retryable.Should().Be(retryable);
        failure.Message.Should().Contain($"answered {status}").And.Contain("no_text");
    }
}
