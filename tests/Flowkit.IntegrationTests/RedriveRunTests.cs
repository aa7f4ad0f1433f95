using System.Net;
using System.Text;
using Flowkit.Testing;
using RabbitMQ.Client;

namespace Flowkit.IntegrationTests;

/// <summary>
/// Issue #11: "a redrive that moves a dead-lettered message back and lets its run finish". The drills' process has no
/// worker, so a run's <c>ExecuteStep</c> waits in <c>flowkit-steps-core</c>; the test moves it to the error queue as
/// MassTransit does when a consumer faults (same body and properties, fault headers added), then an operator redrives
/// it through the ops API and a worker runs it.
/// </summary>
[Collection(DrillCollection.Name)]
public sealed class RedriveRunTests(DrillFixture drill)
{
    private const string Queue = "flowkit-steps-core";

    [Fact]
    public async Task Redrive_DeadLetteredStepMessage_GoesBackToItsQueueAndTheRunFinishes()
    {
        var ct = TestContext.Current.CancellationToken;
        await drill.StartAsync();
        var name = Api.UniqueName("redrive");
        await drill.Api.CreateWorkflowAsync($"name: {name}\nsteps:\n  - {{ id: shape, type: transform, with: {{ ok: true }} }}\n");
        var runId = await drill.Api.StartRunAsync(name);

        // Asked of the broker through the gauge first: a get from a queue that does not exist yet closes the channel.
        await Eventually.UntilAsync(
            () => drill.ValueAsync($"max(flowkit_queue_messages{{queue=\"{Queue}\",state=\"ready\"}})", ct),
            ready => ready >= 1,
            TimeSpan.FromSeconds(60),
            $"the run's ExecuteStep to wait in {Queue}");
        var factory = new ConnectionFactory { Uri = drill.RabbitMqUri };
        string? messageId;
        await using (var connection = await factory.CreateConnectionAsync(ct))
        await using (var channel = await connection.CreateChannelAsync(cancellationToken: ct))
        {
            var message = await Eventually.UntilAsync(
                () => channel.BasicGetAsync(Queue, autoAck: false, ct),
                m => m is not null && Encoding.UTF8.GetString(m.Body.Span).Contains(runId.ToString(), StringComparison.Ordinal),
                TimeSpan.FromSeconds(60),
                $"the run's ExecuteStep in {Queue}");
            await channel.QueueDeclareAsync($"{Queue}_error", durable: true, exclusive: false, autoDelete: false, cancellationToken: ct);
            var properties = new BasicProperties(message!.BasicProperties);
            messageId = properties.MessageId;
            properties.Headers ??= new Dictionary<string, object?>();
            properties.Headers["MT-Reason"] = "fault";
            properties.Headers["MT-Fault-Message"] = "The worker's consumer threw (drill)";
            await channel.BasicPublishAsync(string.Empty, $"{Queue}_error", mandatory: true, properties, message.Body, ct);
            await channel.BasicAckAsync(message.DeliveryTag, multiple: false, ct);
        }

        // The operator's view: the dead letter with its reason, then the redrive.
        messageId.Should().NotBeNullOrEmpty();
        var listed = await Eventually.UntilAsync(
            () => drill.Api.ReadAsync("/api/v1/ops/dead-letters?sample=10"),
            a => a.Status == HttpStatusCode.OK && a.Text.Contains(messageId!, StringComparison.Ordinal),
            TimeSpan.FromSeconds(30),
            "the dead-lettered ExecuteStep in the dead-letter list");
        listed.Text.Should().Contain("The worker's consumer threw (drill)");
        var redrive = await drill.Api.SendAsync(HttpMethod.Post, $"/api/v1/ops/dead-letters/{Queue}/redrive");
        redrive.Status.Should().Be(HttpStatusCode.OK, redrive.Text);
        redrive.Body.GetProperty("redriven").GetInt32().Should().Be(1);
        (await drill.Api.GetRunAsync(runId)).Status().Should().Be("running");

        await using var worker = drill.StartHost("worker");
        (await drill.Api.WaitForRunEndAsync(runId, TimeSpan.FromSeconds(60))).Status().Should().Be("succeeded");
    }
}
