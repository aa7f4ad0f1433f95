using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Flowkit.Testing;

namespace Flowkit.IntegrationTests.Hub;

/// <summary>
/// The integration hub end to end (issue #14): subscriptions by API, lifecycle events from RabbitMQ on the hub's own
/// queue, deliveries to real loopback servers (HTTP and SMTP) from a host that runs only the hub role, the delivery log
/// in PostgreSQL, retries, dead letters and redrive.
/// </summary>
[Collection(HubCollection.Name)]
public sealed class HubTests(HubFixture flowkit)
{
    private HttpClient Client => flowkit.Client;

    [Fact]
    public async Task Subscription_RunSucceeds_EachDestinationKindGetsTheSubscribedEventsAndNoOthers()
    {
        await using var receiver = await HubReceiver.StartAsync();
        var workflow = Api.UniqueName("hub-src");
        var other = Api.UniqueName("hub-other");
        var follower = Api.UniqueName("hub-next");
        await Client.CreateWorkflowAsync(OneStep(workflow));
        await Client.CreateWorkflowAsync(OneStep(other));
        await Client.CreateWorkflowAsync($$$"""
            name: {{{follower}}}
            steps:
              - id: report
                type: http
                with: { method: POST, url: "{{{receiver.Url("ok/" + follower)}}}", body: { type: "{{ input.type }}", runId: "{{ input.runId }}" } }
            """);
        var name = Api.UniqueName("all-kinds");
        var (status, body) = await Client.PutSubscriptionAsync(name, $$$"""
            events: [RunStarted, RunSucceeded]
            workflow: {{{workflow}}}
            destinations:
              - { type: slack, url: "{{{receiver.Url("ok/slack")}}}", text: "{{ event.workflow }} {{ event.type }}" }
              - { type: webhook, url: "{{{receiver.Url("ok/hook")}}}" }
              - { type: email, to: ops@example.test, subject: "{{ event.type }} of {{ event.workflow }}", text: "Run {{ event.runId }}" }
              - { type: workflow, workflow: {{{follower}}} }
            """);
        status.Should().Be(HttpStatusCode.OK, body.ToString());

        // A run of another workflow first: none of its events may arrive anywhere.
        await Client.WaitForRunEndAsync(await Client.StartRunAsync(other));
        var runId = await Client.StartRunAsync(workflow);
        (await Client.WaitForRunEndAsync(runId)).Status().Should().Be("succeeded");

        var deliveries = await Client.WaitForDeliveriesAsync(name, d => d.Length == 8 && d.All(x => x.Status() == "delivered"), "8 deliveries delivered");
        deliveries.Select(d => d.GetProperty("eventType").GetString()).Distinct().Should().BeEquivalentTo(["RunStarted", "RunSucceeded"]);
        deliveries.Should().OnlyContain(d => d.GetProperty("runId").GetGuid() == runId);

        var texts = receiver.At("ok/slack").Select(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("text").GetString());
        texts.Should().BeEquivalentTo([$"{workflow} RunStarted", $"{workflow} RunSucceeded"]);
        var hooks = receiver.At("ok/hook").Select(r => JsonDocument.Parse(r.Body).RootElement).ToArray();
        hooks.Select(h => h.GetProperty("type").GetString()).Should().BeEquivalentTo(["RunStarted", "RunSucceeded"]);
        hooks.Should().OnlyContain(h => h.GetProperty("workflow").GetString() == workflow && h.GetProperty("runId").GetGuid() == runId);
        var mails = await Eventually.UntilAsync(
            () => Task.FromResult(flowkit.Smtp.Messages.Where(m => m.Data.Contains(runId.ToString(), StringComparison.Ordinal)).ToArray()),
            m => m.Length == 2, TimeSpan.FromSeconds(30), "two e-mails about the run");
        mails.Should().OnlyContain(m => m.To.Count == 1 && m.To[0] == "ops@example.test");
        mails.Select(m => m.Data).Should().Contain(d => d.Contains($"Subject: RunSucceeded of {workflow}", StringComparison.Ordinal));
        var followed = await Eventually.UntilAsync(
            () => Task.FromResult(receiver.At("ok/" + follower)), r => r.Count == 2, TimeSpan.FromSeconds(30), "the follower's two runs to report");
        followed.Select(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("type").GetString()).Should().BeEquivalentTo(["RunStarted", "RunSucceeded"]);
        followed.Should().OnlyContain(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("runId").GetString() == runId.ToString());
        receiver.Received.Should().NotContain(r => r.Body.Contains(other, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Webhook_WithSecret_SignsTheRawBodyAndSendsTheEventIdAsIdempotencyKey()
    {
        await using var receiver = await HubReceiver.StartAsync();
        var workflow = Api.UniqueName("hub-sign");
        await Client.CreateWorkflowAsync(OneStep(workflow));
        const string secret = "s3cret-signing-key-for-hub";
        await Client.PutSecretAsync("hub_sign_key", secret);
        var name = Api.UniqueName("signed");
        (await Client.PutSubscriptionAsync(name, $$$"""
            events: [RunSucceeded]
            workflow: {{{workflow}}}
            destinations:
              - { type: webhook, url: "{{{receiver.Url("ok/signed")}}}", secret: "{{ secrets.hub_sign_key }}" }
            """)).Status.Should().Be(HttpStatusCode.OK);

        var runId = await Client.StartRunAsync(workflow);
        await Client.WaitForDeliveriesAsync(name, d => d.Length == 1 && d[0].Status() == "delivered", "the delivery");

        var request = receiver.At("ok/signed").Should().ContainSingle().Subject;
        var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(request.Body)));
        request.Signature.Should().Be(expected);
        var evt = JsonDocument.Parse(request.Body).RootElement;
        request.IdempotencyKey.Should().Be(evt.GetProperty("id").GetString());
        request.EventType.Should().Be("RunSucceeded");
        evt.GetProperty("runId").GetGuid().Should().Be(runId);
        request.Body.Should().NotContain(secret);
    }

    [Fact]
    public async Task FailingDestination_RetriedThenDeadLettered_RunAndOtherDestinationUnaffected()
    {
        await using var receiver = await HubReceiver.StartAsync();
        var outcomes = new ConcurrentQueue<(string Kind, string Outcome)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Flowkit.Hub" && instrument.Name == "flowkit.hub.deliveries")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            string? kind = null, outcome = null;
            foreach (var tag in tags)
            {
                kind = tag.Key == "flowkit.destination_kind" ? tag.Value as string : kind;
                outcome = tag.Key == "flowkit.outcome" ? tag.Value as string : outcome;
            }

            outcomes.Enqueue((kind!, outcome!));
        });
        listener.Start();

        var workflow = Api.UniqueName("hub-down");
        await Client.CreateWorkflowAsync(OneStep(workflow));
        var name = Api.UniqueName("down");
        (await Client.PutSubscriptionAsync(name, $$"""
            events: [RunSucceeded]
            workflow: {{workflow}}
            destinations:
              - { type: webhook, url: "{{receiver.Url("fail/down")}}" }
              - { type: slack, url: "{{receiver.Url("ok/up")}}", text: done }
            """)).Status.Should().Be(HttpStatusCode.OK);

        var runId = await Client.StartRunAsync(workflow);
        (await Client.WaitForRunEndAsync(runId)).Status().Should().Be("succeeded", "a destination that is down never touches runs");

        var deliveries = await Client.WaitForDeliveriesAsync(name, d => d.Length == 2 && d.Any(x => x.Status() == "dead"), "the webhook delivery to be dead-lettered");
        var dead = deliveries.Single(d => d.Kind() == "webhook");
        dead.GetProperty("attempts").GetInt32().Should().Be(HubFixture.MaxAttempts);
        dead.GetProperty("lastError").GetString().Should().Contain("503");
        var slack = deliveries.Single(d => d.Kind() == "slack");
        slack.Status().Should().Be("delivered");
        slack.GetProperty("attempts").GetInt32().Should().Be(1);
        receiver.At("fail/down").Should().HaveCount(HubFixture.MaxAttempts).And.OnlyContain(r => r.IdempotencyKey == dead.GetProperty("eventId").GetString());
        receiver.At("ok/up").Should().ContainSingle();
        await Eventually.UntilAsync(
            () => Task.FromResult(outcomes.ToArray()),
            o => o.Count(x => x == ("webhook", "retrying")) >= HubFixture.MaxAttempts - 1 && o.Contains(("webhook", "dead_lettered")) && o.Contains(("slack", "delivered")),
            TimeSpan.FromSeconds(10),
            "delivery metrics by kind and outcome");
    }

    [Fact]
    public async Task Redrive_DeadDelivery_DeliversOnceAndOnlyOnce()
    {
        await using var receiver = await HubReceiver.StartAsync();
        var workflow = Api.UniqueName("hub-redrive");
        await Client.CreateWorkflowAsync(OneStep(workflow));
        var name = Api.UniqueName("redrive");
        receiver.Failing["r1"] = true;
        (await Client.PutSubscriptionAsync(name, $$"""
            events: [RunSucceeded]
            workflow: {{workflow}}
            destinations:
              - { type: webhook, url: "{{receiver.Url("toggle/r1")}}" }
            """)).Status.Should().Be(HttpStatusCode.OK);
        await Client.StartRunAsync(workflow);
        var dead = (await Client.WaitForDeliveriesAsync(name, d => d.Length == 1 && d[0].Status() == "dead", "the delivery to be dead-lettered"))[0];
        var id = dead.GetProperty("id").GetGuid();

        receiver.Failing.TryRemove("r1", out _);
        var (status, body) = await Client.PostJsonAsync($"/api/v1/subscriptions/{name}/deliveries/{id}/redrive", new { });
        status.Should().Be(HttpStatusCode.Accepted, body.ToString());
        var delivered = (await Client.WaitForDeliveriesAsync(name, d => d[0].Status() == "delivered", "the redriven delivery"))[0];

        delivered.GetProperty("attempts").GetInt32().Should().Be(1);
        delivered.GetProperty("redrives").GetInt32().Should().Be(1);
        receiver.At("toggle/r1").Count(r => r.Status == 200).Should().Be(1);
        var (again, problem) = await Client.PostJsonAsync($"/api/v1/subscriptions/{name}/deliveries/{id}/redrive", new { });
        again.Should().Be(HttpStatusCode.Conflict, problem.ToString());
        receiver.At("toggle/r1").Count(r => r.Status == 200).Should().Be(1);
    }

    [Fact]
    public async Task Put_InvalidSubscription_ListsEveryProblemByFieldAndStoresNothing()
    {
        var name = Api.UniqueName("bad");
        var (status, body) = await Client.PutSubscriptionAsync(name, """
            events: [RunSucceded, RunFailed]
            destinations:
              - { type: slak, url: "http://127.0.0.1/x" }
              - { type: webhook, url: "not a url", secret: "plain-text-secret" }
              - { type: email, subject: "{{ event.type ", text: hi }
              - { type: workflow, workflow: next-one }
            """);

        status.Should().Be(HttpStatusCode.UnprocessableEntity, body.ToString());
        body.GetProperty("type").GetString().Should().Be("https://flowkit.dev/problems/validation");
        var errors = body.GetProperty("errors").EnumerateArray()
            .Select(e => (Path: e.GetProperty("path").GetString()!, Message: e.GetProperty("message").GetString()!)).ToArray();
        errors.Select(e => e.Path).Should().Contain(
        [
            "$.events[0]", "$.destinations[0].type", "$.destinations[1].url", "$.destinations[1].secret",
            "$.destinations[2].to", "$.destinations[2].subject", "$.workflow",
        ]);
        errors.Single(e => e.Path == "$.events[0]").Message.Should().Contain("RunSucceeded");
        errors.Single(e => e.Path == "$.destinations[0].type").Message.Should().Contain("slack");
        using var response = await Client.GetAsync($"/api/v1/subscriptions/{name}", TestContext.Current.CancellationToken);
        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Put_SameThenChanged_VersionsLikeWorkflowsAndDeleteRemovesIt()
    {
        var name = Api.UniqueName("crud");
        var first = $"events: [RunFailed]\ndestinations:\n  - {{ type: slack, url: \"https://hooks.example.test/a\", text: failed }}\n";
        var created = await Client.PutSubscriptionAsync(name, first);
        created.Status.Should().Be(HttpStatusCode.OK);
        created.Body.GetProperty("created").GetBoolean().Should().BeTrue();
        var same = await Client.PutSubscriptionAsync(name, first);
        same.Status.Should().Be(HttpStatusCode.OK);
        same.Body.GetProperty("changed").GetBoolean().Should().BeFalse();
        var changed = await Client.PutSubscriptionAsync(name, first.Replace("RunFailed", "RunFailed, RunCancelled", StringComparison.Ordinal));
        changed.Body.GetProperty("version").GetInt32().Should().Be(2);

        using var one = await Client.GetAsync($"/api/v1/subscriptions/{name}", TestContext.Current.CancellationToken);
        var shown = JsonDocument.Parse(await one.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;
        shown.GetProperty("events").EnumerateArray().Select(e => e.GetString()).Should().Equal("RunFailed", "RunCancelled");
        using var list = await Client.GetAsync("/api/v1/subscriptions?limit=500", TestContext.Current.CancellationToken);
        (await list.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).Should().Contain(name);
        using var deleted = await Client.DeleteAsync($"/api/v1/subscriptions/{name}", TestContext.Current.CancellationToken);
        deleted.StatusCode.Should().Be(HttpStatusCode.NoContent);
        using var gone = await Client.GetAsync($"/api/v1/subscriptions/{name}", TestContext.Current.CancellationToken);
        gone.StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    private static string OneStep(string name) => $$"""
        name: {{name}}
        steps:
          - id: hello
            type: transform
            with: { greeting: hi }
        """;
}
