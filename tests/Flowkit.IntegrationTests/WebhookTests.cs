using System.Diagnostics;
using System.Net;
using System.Text;
using Flowkit.Api.Ingress;
using Flowkit.Testing;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace Flowkit.IntegrationTests;

/// <summary>POST /hooks/{workspace}/{key} (issue #7): the promise is that a 2xx is never lost and a duplicate never runs twice.</summary>
[Collection(FlowkitCollection.Name)]
public sealed class WebhookTests(FlowkitFixture flowkit)
{
    private HttpClient Client => flowkit.Client;

    [Fact]
    public async Task Hook_Delivery_StartsRunWithBodyHeadersAndQueryWithoutCredentials()
    {
        var name = Api.UniqueName("hook");
        await Client.CreateWorkflowAsync(Hooks.Workflow(name, $"{{ key: {name} }}"));

        var response = await Client.DeliverAsync(name, """{"invoice": 42, "lines": [1, 2]}""", new Dictionary<string, string>
        {
            ["Authorization"] = "Bearer not-for-runs",
            ["Cookie"] = "session=abc",
            ["X-Api-Key"] = "k",
            ["X-Custom-Thing"] = "kept",
        }, query: "?source=test&tag=a&tag=b");

        response.Status.Should().Be(HttpStatusCode.Accepted, response.ToString());
        response.Duplicate.Should().BeFalse();
        response.Headers.Location!.ToString().Should().Be($"/api/v1/runs/{response.RunId}");
        var run = await Client.WaitForRunEndAsync(response.RunId);
        run.Status().Should().Be("succeeded", run.ToString());
        var input = run.GetProperty("input");
        input.GetProperty("body").GetProperty("invoice").GetInt32().Should().Be(42);
        var headers = input.GetProperty("headers");
        headers.GetProperty("x-custom-thing").GetString().Should().Be("kept");
        headers.GetProperty("content-type").GetString().Should().StartWith("application/json");
        headers.EnumerateObject().Select(h => h.Name).Should().NotContain(["authorization", "cookie", "x-api-key"]);
        headers.EnumerateObject().Should().AllSatisfy(h => h.Name.Should().Be(h.Name.ToLowerInvariant()));
        input.GetProperty("query").GetProperty("source").GetString().Should().Be("test");
        input.GetProperty("query").GetProperty("tag").EnumerateArray().Select(t => t.GetString()).Should().Equal("a", "b");
    }

    [Fact]
    public async Task Hook_UnknownKey_Answers404Problem()
    {
        var response = await Client.DeliverAsync(Api.UniqueName("nobody"), "{}");

        response.Status.Should().Be(HttpStatusCode.NotFound);
        response.Body.GetProperty("type").GetString().Should().Be("https://flowkit.dev/problems/not-found");
    }

    [Fact]
    public async Task Hook_WorkflowArchived_Answers404()
    {
        var name = Api.UniqueName("archived");
        await Client.CreateWorkflowAsync(Hooks.Workflow(name, $"{{ key: {name} }}"));
        (await Client.DeliverAsync(name, "{}")).Status.Should().Be(HttpStatusCode.Accepted);

        await flowkit.ScalarAsync<int>("UPDATE workflows SET archived_at = now() WHERE name = @n RETURNING 1", ("n", name));

        (await Client.DeliverAsync(name, """{"after": true}""")).Status.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Hook_LatestVersionRenamesKey_OldKey404NewKeyStartsRunOnNewVersion()
    {
        var name = Api.UniqueName("versioned");
        await Client.CreateWorkflowAsync(Hooks.Workflow(name, $"{{ key: {name} }}"));
        (await Client.DeliverAsync(name, "{}")).Status.Should().Be(HttpStatusCode.Accepted);

        // Version 2 as the versions API will store it (written directly: that API belongs to another issue).
        await flowkit.ScalarAsync<int>("""
            INSERT INTO workflow_versions (workflow_id, version, workspace, definition, source, source_format, created_at)
            SELECT v.workflow_id, 2, v.workspace, jsonb_set(v.definition, '{triggers,0,webhook,key}', to_jsonb(@k::text)), v.source, v.source_format, now()
            FROM workflow_versions v JOIN workflows w ON w.id = v.workflow_id WHERE w.name = @n AND v.version = 1;
            UPDATE workflows SET latest_version = 2 WHERE name = @n RETURNING 1
            """, ("n", name), ("k", name + "-v2"));

        (await Client.DeliverAsync(name, """{"old": 1}""")).Status.Should().Be(HttpStatusCode.NotFound);
        var renamed = await Client.DeliverAsync(name + "-v2", """{"new": 1}""");
        renamed.Status.Should().Be(HttpStatusCode.Accepted, renamed.ToString());
        (await Client.GetRunAsync(renamed.RunId)).GetProperty("version").GetInt32().Should().Be(2);
    }

    [Fact]
    public async Task Hook_BodyOverOneMebibyte_Answers413()
    {
        var name = Api.UniqueName("big");
        await Client.CreateWorkflowAsync(Hooks.Workflow(name, $"{{ key: {name} }}"));
        var body = "\"" + new string('x', (1024 * 1024) - 1) + "\"";

        var response = await Client.DeliverAsync(name, body);

        response.Status.Should().Be(HttpStatusCode.RequestEntityTooLarge);
        response.Body.GetProperty("type").GetString().Should().Be("https://flowkit.dev/problems/payload-too-large");
        (await flowkit.CountRunsAsync(name)).Should().Be(0);
    }

    [Theory]
    [InlineData("""{"a": 1""")]
    [InlineData("""{"a": 1} {"b": 2}""")]
    [InlineData("not json")]
    [InlineData("""{"nul": "\u0000"}""")]
    public async Task Hook_MalformedJson_Answers400AndStartsNothing(string body)
    {
        var name = Api.UniqueName("malformed");
        await Client.CreateWorkflowAsync(Hooks.Workflow(name, $"{{ key: {name} }}"));

        var response = await Client.DeliverAsync(name, body);

        response.Status.Should().Be(HttpStatusCode.BadRequest, response.ToString());
        response.Body.GetProperty("type").GetString().Should().Be("https://flowkit.dev/problems/bad-request");
        (await flowkit.CountRunsAsync(name)).Should().Be(0);
    }

    [Fact]
    public async Task Hook_HundredConcurrentIdenticalDeliveries_StartExactlyOneRun()
    {
        var name = Api.UniqueName("storm");
        await Client.CreateWorkflowAsync(Hooks.Workflow(name, $"{{ key: {name} }}"));
        var body = $$"""{"event": "paid", "nonce": "{{Guid.NewGuid()}}"}""";

        var responses = await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => Client.DeliverAsync(name, body)));

        responses.Should().AllSatisfy(r => r.Status.Should().Be(HttpStatusCode.Accepted, r.ToString()));
        responses.Select(r => r.RunId).Distinct().Should().ContainSingle();
        responses.Count(r => !r.Duplicate).Should().Be(1);
        (await flowkit.CountRunsAsync(name)).Should().Be(1);
        (await flowkit.ScalarAsync<long>("SELECT count(*) FROM run_requests WHERE scope = @s", ("s", await flowkit.HookScopeAsync(name, name)))).Should().Be(1);
    }

    [Fact]
    public async Task Hook_DedupeExpressionThenIdempotencyKeyThenBody_DecideWhatIsADuplicate()
    {
        var name = Api.UniqueName("dedupe");
        await Client.CreateWorkflowAsync(Hooks.Workflow(name, $"{{ key: {name}, dedupe: body.id }}"));

        // The dedupe expression: same id, different bodies -> one run.
        var first = await Client.DeliverAsync(name, """{"id": "inv-1", "attempt": 1}""");
        var second = await Client.DeliverAsync(name, """{"id": "inv-1", "attempt": 2}""");
        // No id: the Idempotency-Key header (unsigned hooks only): same key, different bodies -> one run.
        var keyed = new Dictionary<string, string> { ["Idempotency-Key"] = "delivery-7" };
        var third = await Client.DeliverAsync(name, """{"other": 2}""", keyed);
        var fourth = await Client.DeliverAsync(name, """{"other": 3}""", keyed);
        // No id, no header: the body's hash decides.
        var fifth = await Client.DeliverAsync(name, """{"other": true}""");
        var sixth = await Client.DeliverAsync(name, """{"other": true}""");

        new[] { first, second, third, fourth, fifth, sixth }.Should().AllSatisfy(r => r.Status.Should().Be(HttpStatusCode.Accepted, r.ToString()));
        second.RunId.Should().Be(first.RunId);
        second.Duplicate.Should().BeTrue();
        fourth.RunId.Should().Be(third.RunId);
        fourth.Duplicate.Should().BeTrue();
        sixth.RunId.Should().Be(fifth.RunId);
        new[] { first.RunId, third.RunId, fifth.RunId }.Distinct().Should().HaveCount(3);
        (await flowkit.CountRunsAsync(name)).Should().Be(3);
    }

    [Fact]
    public async Task Hook_KeyClaimedInRedisButRunNeverCommitted_RetryIsNotLost()
    {
        // The crash window: a process claimed the delivery's key in Redis and died before its commit. Simulated by
        // writing the claim ourselves. The retry must reach PostgreSQL and start the run, not answer "duplicate".
        var name = Api.UniqueName("crash-window");
        await Client.CreateWorkflowAsync(Hooks.Workflow(name, $"{{ key: {name} }}"));
        var body = """{"order": 1001}""";
        var redisIngress = flowkit.Host.Services.GetRequiredService<RedisIngress>();
        var key = redisIngress.DeliveryKey("default", await flowkit.HookScopeAsync(name, name), WebhookDelivery.KeyFromBody(Encoding.UTF8.GetBytes(body)));
        await using var redis = await ConnectionMultiplexer.ConnectAsync(flowkit.Services.Redis);
        var db = redis.GetDatabase();
        await db.StringSetAsync(key, RedisIngress.Pending, TimeSpan.FromHours(1));

        var retried = await Client.DeliverAsync(name, body);

        retried.Status.Should().Be(HttpStatusCode.Accepted, retried.ToString());
        retried.Duplicate.Should().BeFalse();
        (await flowkit.CountRunsAsync(name)).Should().Be(1);
        var remembered = await Eventually.UntilAsync(async () => (string?)await db.StringGetAsync(key), v => v != RedisIngress.Pending, TimeSpan.FromSeconds(10), "Redis to remember the run");
        remembered.Should().Be(retried.RunId.ToString());
        var again = await Client.DeliverAsync(name, body);
        again.RunId.Should().Be(retried.RunId);
        again.Duplicate.Should().BeTrue();
    }

    [Fact]
    public async Task Hook_FloodOverFivePerSecond_AcceptsTheBurstPlusTheRefillAndAnswers429WithRetryAfter()
    {
        var name = Api.UniqueName("flood");
        await Client.CreateWorkflowAsync(Hooks.Workflow(name, $"{{ key: {name}, limit: 5/s }}"));
        var responses = new List<HookResponse>();
        var clock = Stopwatch.StartNew();
        TimeSpan? firstAnswered = null;
        TimeSpan lastSent = TimeSpan.Zero;
        var n = 0;

        // Four senders, unique bodies, for at least 1.5 s so the refill is part of the count.
        while (clock.Elapsed < TimeSpan.FromSeconds(1.5))
        {
            lastSent = clock.Elapsed;
            var batch = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Client.DeliverAsync(name, $$"""{"n": {{Interlocked.Increment(ref n)}}}""")));
            firstAnswered ??= clock.Elapsed;
            responses.AddRange(batch);
        }

        var elapsed = clock.Elapsed;
        var accepted = responses.Count(r => r.Status == HttpStatusCode.Accepted);
        var limited = responses.Where(r => r.Status == HttpStatusCode.TooManyRequests).ToArray();
        (accepted + limited.Length).Should().Be(responses.Count, "every answer is 202 or 429");
        limited.Should().NotBeEmpty();
        limited.Should().AllSatisfy(r => r.Headers.RetryAfter!.Delta!.Value.Should().BeGreaterThanOrEqualTo(TimeSpan.FromSeconds(1)));
        // Token bucket arithmetic: a burst of 5, then 5 per second. At most what accrued while requests were arriving;
        // at least what accrued between the first answer and the last send (requests kept coming to take each token).
        var most = 5 + (int)Math.Ceiling(5 * elapsed.TotalSeconds);
        var least = 5 + (int)Math.Floor(5 * Math.Max(0, (lastSent - firstAnswered!.Value).TotalSeconds)) - 1;
        accepted.Should().BeInRange(least, most, $"{responses.Count} requests in {elapsed.TotalSeconds:0.00} s");
        (await flowkit.CountRunsAsync(name)).Should().Be(accepted);
    }

    [Fact]
    public async Task Hook_OverflowQueue_AcceptsEveryDeliveryAndStartsTheExtraRunsAtTheHooksRate()
    {
        var name = Api.UniqueName("queue");
        await Client.CreateWorkflowAsync(Hooks.Workflow(name, $"{{ key: {name}, limit: 2/s, overflow: queue }}"));

        var responses = new List<HookResponse>();
        for (var i = 0; i < 6; i++)
        {
            responses.Add(await Client.DeliverAsync(name, $$"""{"i": {{i}}}"""));
        }

        responses.Should().AllSatisfy(r => r.Status.Should().Be(HttpStatusCode.Accepted, r.ToString()));
        responses.Take(2).Should().AllSatisfy(r => r.Body.TryGetProperty("startsAt", out _).Should().BeFalse("the burst starts at once"));
        var startsAt = responses.Skip(2).Select(r => r.Body.GetProperty("startsAt").GetDateTimeOffset()).ToArray();
        startsAt.Zip(startsAt.Skip(1), (a, b) => (b - a).TotalMilliseconds).Should().AllSatisfy(gap => gap.Should().BeApproximately(500, 60), "queued runs are spaced at the hook's rate");
        (await Client.GetRunAsync(responses[^1].RunId)).Status().Should().Be("pending");

        foreach (var (response, index) in responses.Select((r, i) => (r, i)))
        {
            var run = await Client.WaitForRunEndAsync(response.RunId);
            run.Status().Should().Be("succeeded");
            if (index >= 2)
            {
                run.GetProperty("startedAt").GetDateTimeOffset().Should().BeOnOrAfter(startsAt[index - 2]);
            }
        }
    }

    [Fact]
    public async Task Hook_WithSecret_AcceptsGoodSignatureRejectsBadAndMissing()
    {
        var name = Api.UniqueName("signed");
        var secretName = "hook_" + name.Replace('-', '_');
        const string secret = "s3cret-value";
        await Client.CreateWorkflowAsync(Hooks.Workflow(name, $$$"""{ key: {{{name}}}, secret: "{{ secrets.{{{secretName}}} }}" }"""));
        var host = flowkit.StartHost("api", new Dictionary<string, string?> { [$"Flowkit:Ingress:HookSecrets:default:{secretName}"] = secret });
        using var client = host.CreateClient();
        const string body = """{"paid": true}""";
        var good = WebhookDelivery.Sign(Encoding.UTF8.GetBytes(body), secret);
        var bad = WebhookDelivery.Sign(Encoding.UTF8.GetBytes(body), "another-secret");

        var signed = await client.DeliverAsync(name, body, new Dictionary<string, string> { ["X-Flowkit-Signature"] = good });
        var forged = await client.DeliverAsync(name, """{"paid": false}""", new Dictionary<string, string> { ["X-Flowkit-Signature"] = bad });
        var tampered = await client.DeliverAsync(name, """{"paid": "yes"}""", new Dictionary<string, string> { ["X-Flowkit-Signature"] = good });
        var missing = await client.DeliverAsync(name, """{"paid": 1}""");
        var noSecretHere = await Client.DeliverAsync(name, body, new Dictionary<string, string> { ["X-Flowkit-Signature"] = good });

        signed.Status.Should().Be(HttpStatusCode.Accepted, signed.ToString());
        forged.Status.Should().Be(HttpStatusCode.Unauthorized);
        tampered.Status.Should().Be(HttpStatusCode.Unauthorized);
        missing.Status.Should().Be(HttpStatusCode.Unauthorized);
        missing.Body.GetProperty("type").GetString().Should().Be("https://flowkit.dev/problems/unauthorized");
        noSecretHere.Status.Should().Be(HttpStatusCode.ServiceUnavailable, "a host that cannot read the secret must not accept unverified deliveries");
        (await flowkit.CountRunsAsync(name)).Should().Be(1);
        var run = await Client.WaitForRunEndAsync(signed.RunId);
        run.GetProperty("input").GetProperty("headers").TryGetProperty("x-flowkit-signature", out _).Should().BeFalse();
    }
}
