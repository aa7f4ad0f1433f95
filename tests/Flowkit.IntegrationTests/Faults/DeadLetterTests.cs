using System.Diagnostics.Metrics;
using System.Net;
using System.Text;
using System.Text.Json;
using Flowkit.Host.Transport;
using Flowkit.Testing;
using Microsoft.Extensions.DependencyInjection;
using RabbitMQ.Client;

namespace Flowkit.IntegrationTests.Faults;

/// <summary>
/// A poison message (issue #10): it lands in the error queue counted and with its reason, the ops API lists it, and a
/// redrive moves it back exactly once (it fails again and returns: one copy, never zero or two).
/// </summary>
[Collection(FlowkitCollection.Name)]
public sealed class DeadLetterTests(FlowkitFixture flowkit)
{
    [Fact]
    public async Task DeadLetters_PoisonMessage_IsCountedListedAndRedrivenOnce()
    {
        var messageId = Guid.NewGuid().ToString();
        // Any engine host of the collection may consume the message (some tests add a second engine), so count on all.
        using var counted = new DeadLetterCount(flowkit.Hosts.Select(MetricsOf).OfType<DeadLetterMetrics>().ToList());
        await PublishPoisonAsync(messageId);

        var listed = await Eventually.UntilAsync(
            () => flowkit.Client.ReadAsync("/api/v1/ops/dead-letters?sample=50"),
            a => a.Status == HttpStatusCode.OK && Find(a.Body, messageId) is not null,
            TimeSpan.FromSeconds(30),
            "the poison message in the dead-letter list");
        var queue = listed.Body.GetProperty("queues").EnumerateArray().Single(q => q.GetProperty("queue").GetString() == "flowkit-runs");
        queue.GetProperty("errorQueue").GetString().Should().Be("flowkit-runs_error");
        var letter = Find(listed.Body, messageId)!.Value;
        letter.GetProperty("reason").GetString().Should().NotBeNullOrEmpty("the list says why it was moved");
        counted.Value.Should().Be(1, "the move is counted once");
        var before = queue.GetProperty("messages").GetInt32();

        var redrive = await flowkit.Client.SendAsync(HttpMethod.Post, "/api/v1/ops/dead-letters/flowkit-runs/redrive");

        redrive.Status.Should().Be(HttpStatusCode.OK, redrive.Text);
        redrive.Body.GetProperty("redriven").GetInt32().Should().Be(before);
        // Still poison: consumed again, it fails and comes back once (counted a second time), neither lost nor doubled.
        await Eventually.UntilAsync(() => Task.FromResult(counted.Value), n => n >= 1 + before, TimeSpan.FromSeconds(30), "the redriven message to be consumed and fail again");
        var after = await Eventually.UntilAsync(
            () => flowkit.Client.ReadAsync("/api/v1/ops/dead-letters?sample=50"),
            a => a.Status == HttpStatusCode.OK && Find(a.Body, messageId) is not null,
            TimeSpan.FromSeconds(30),
            "the poison message back in the error queue");
        after.Body.GetProperty("queues").EnumerateArray().Single(q => q.GetProperty("queue").GetString() == "flowkit-runs").GetProperty("messages").GetInt32().Should().Be(before);
        counted.Value.Should().Be(1 + before, "each redriven message was consumed once");
    }

    [Fact]
    public async Task DeadLetters_KeyOfAnotherWorkspace_Answers403()
    {
        var (other, _) = await flowkit.NewWorkspaceClientAsync("ops");

        var list = await other.ReadAsync("/api/v1/ops/dead-letters");
        var redrive = await other.SendAsync(HttpMethod.Post, "/api/v1/ops/dead-letters/flowkit-runs/redrive");

        list.Status.Should().Be(HttpStatusCode.Forbidden, list.Text);
        list.ProblemType.Should().EndWith("/forbidden");
        redrive.Status.Should().Be(HttpStatusCode.Forbidden, redrive.Text);
    }

    /// <summary>The host's dead-letter metrics; none for a host that its test has already stopped.</summary>
    private static DeadLetterMetrics? MetricsOf(FlowkitHost host)
    {
        try
        {
            return host.Services.GetService<DeadLetterMetrics>();
        }
        catch (ObjectDisposedException)
        {
            return null;
        }
    }

    private static JsonElement? Find(JsonElement body, string messageId) =>
        body.GetProperty("queues").EnumerateArray()
            .SelectMany(q => q.GetProperty("sample").EnumerateArray())
            .Where(m => m.GetProperty("messageId").ValueKind == JsonValueKind.String && m.GetProperty("messageId").GetString() == messageId)
            .Select(m => (JsonElement?)m)
            .FirstOrDefault();

    /// <summary>A message the saga's endpoint cannot read: MassTransit's JSON content type with a body that is not JSON.</summary>
    private async Task PublishPoisonAsync(string messageId)
    {
        var factory = new ConnectionFactory { Uri = flowkit.RabbitMqUri };
        await using var connection = await factory.CreateConnectionAsync(TestContext.Current.CancellationToken);
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true), TestContext.Current.CancellationToken);
        var properties = new BasicProperties
        {
            MessageId = messageId,
            ContentType = "application/vnd.masstransit+json",
            Persistent = true,
        };
        await channel.BasicPublishAsync(string.Empty, "flowkit-runs", true, properties, Encoding.UTF8.GetBytes("{ this is not json"), TestContext.Current.CancellationToken);
    }

    /// <summary>Reads <c>flowkit.dead_letters</c> of the given hosts.</summary>
    private sealed class DeadLetterCount : IDisposable
    {
        private readonly MeterListener _listener = new();
        private long _value;

        public DeadLetterCount(IReadOnlyList<DeadLetterMetrics> metrics)
        {
            _listener.InstrumentPublished = (instrument, l) =>
            {
                if (metrics.Any(m => ReferenceEquals(instrument.Meter, m.Meter)) && instrument.Name == "flowkit.dead_letters")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, measurement, _, _) => Interlocked.Add(ref _value, measurement));
            _listener.Start();
        }

        public long Value => Interlocked.Read(ref _value);

        public void Dispose() => _listener.Dispose();
    }
}
