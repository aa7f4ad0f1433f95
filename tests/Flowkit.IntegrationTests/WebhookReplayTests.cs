using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Flowkit.Testing;

namespace Flowkit.IntegrationTests;

/// <summary>
/// Issue 19 finding 3, webhook replay: a captured signed delivery must not start new runs when sent again, whatever
/// unsigned headers come with it, and a timestamped signature expires. The sender side is written here from the
/// documented scheme (docs/ingress.md), not with Flowkit's own signing code.
/// </summary>
[Collection(FlowkitCollection.Name)]
public sealed class WebhookReplayTests(FlowkitFixture flowkit)
{
    private HttpClient Client => flowkit.Client;

    [Fact]
    public async Task SignedHook_CapturedDeliveryReplayedWithNewIdempotencyKeys_StartsNoSecondRun()
    {
        var (name, secret) = await SignedHookAsync("replay", "");
        const string body = """{"order": 7}""";
        var signature = PlainSignature(body, secret);

        var first = await Client.DeliverAsync(name, body, Headers(signature, "genuine-1"));
        var replays = new List<HookResponse>();
        for (var i = 0; i < 3; i++)
        {
            replays.Add(await Client.DeliverAsync(name, body, Headers(signature, $"replay-{i}")));
        }

        first.Status.Should().Be(HttpStatusCode.Accepted, first.ToString());
        first.Duplicate.Should().BeFalse();
        replays.Should().AllSatisfy(r =>
        {
            r.Status.Should().Be(HttpStatusCode.Accepted, r.ToString());
            r.Duplicate.Should().BeTrue("the Idempotency-Key header is not signed, so it cannot make a signed body a new delivery");
            r.RunId.Should().Be(first.RunId);
        });
        (await flowkit.CountRunsAsync(name)).Should().Be(1);
    }

    [Fact]
    public async Task SignedHook_OldBodySentWithTheIdempotencyKeyOfALaterDelivery_DoesNotSwallowIt()
    {
        var (name, secret) = await SignedHookAsync("swallow", "");
        const string old = """{"invoice": "inv-1"}""";
        const string genuine = """{"invoice": "inv-2"}""";

        // The attacker replays a captured body with the key the sender will use next.
        var forged = await Client.DeliverAsync(name, old, Headers(PlainSignature(old, secret), "delivery-2"));
        var later = await Client.DeliverAsync(name, genuine, Headers(PlainSignature(genuine, secret), "delivery-2"));

        forged.Status.Should().Be(HttpStatusCode.Accepted, forged.ToString());
        later.Status.Should().Be(HttpStatusCode.Accepted, later.ToString());
        later.Duplicate.Should().BeFalse("a genuine delivery must run even when someone used its Idempotency-Key first");
        later.RunId.Should().NotBe(forged.RunId);
        (await Client.WaitForRunEndAsync(later.RunId)).GetProperty("input").GetProperty("body").GetProperty("invoice").GetString().Should().Be("inv-2");
    }

    [Fact]
    public async Task SignedHook_DedupeExpressionOverAHeader_SeesOnlyTheSignedBody()
    {
        var (name, secret) = await SignedHookAsync("header-dedupe", """, dedupe: 'headers["x-delivery"]'""");
        const string body = """{"event": "paid"}""";
        var signature = PlainSignature(body, secret);

        var first = await Client.DeliverAsync(name, body, new Dictionary<string, string> { ["X-Flowkit-Signature"] = signature, ["X-Delivery"] = "d-1" });
        var replay = await Client.DeliverAsync(name, body, new Dictionary<string, string> { ["X-Flowkit-Signature"] = signature, ["X-Delivery"] = "d-2" });

        first.Status.Should().Be(HttpStatusCode.Accepted, first.ToString());
        replay.Status.Should().Be(HttpStatusCode.Accepted, replay.ToString());
        replay.Duplicate.Should().BeTrue("an unsigned header cannot make a signed body a new delivery");
        replay.RunId.Should().Be(first.RunId);
    }

    [Fact]
    public async Task TimestampedSignature_OutsideTheToleranceOrPlainOnATimestampedHook_Answers401AndStartsNothing()
    {
        var (name, secret) = await SignedHookAsync("timestamped", ", signature: timestamped");
        const string body = """{"order": 1}""";
        var now = DateTimeOffset.UtcNow;

        var fresh = await Client.DeliverAsync(name, body, Headers(TimestampedSignature(body, secret, now)));
        var replayedInTheWindow = await Client.DeliverAsync(name, body, Headers(TimestampedSignature(body, secret, now)));
        var stale = await Client.DeliverAsync(name, """{"order": 2}""", Headers(TimestampedSignature("""{"order": 2}""", secret, now.AddMinutes(-10))));
        var future = await Client.DeliverAsync(name, """{"order": 3}""", Headers(TimestampedSignature("""{"order": 3}""", secret, now.AddMinutes(10))));
        var plain = await Client.DeliverAsync(name, """{"order": 4}""", Headers(PlainSignature("""{"order": 4}""", secret)));
        var forged = await Client.DeliverAsync(name, """{"order": 5}""", Headers(TimestampedSignature("""{"order": 5}""", "not-the-secret", now)));

        fresh.Status.Should().Be(HttpStatusCode.Accepted, fresh.ToString());
        replayedInTheWindow.Status.Should().Be(HttpStatusCode.Accepted, replayedInTheWindow.ToString());
        replayedInTheWindow.Duplicate.Should().BeTrue();
        replayedInTheWindow.RunId.Should().Be(fresh.RunId);
        foreach (var refused in new[] { stale, future, plain, forged })
        {
            refused.Status.Should().Be(HttpStatusCode.Unauthorized, refused.ToString());
            refused.Body.GetProperty("type").GetString().Should().Be("https://flowkit.dev/problems/unauthorized");
        }

        stale.Body.GetProperty("detail").GetString().Should().Contain("replayed");
        plain.Body.GetProperty("detail").GetString().Should().Contain("requires the timestamped signature");
        (await flowkit.CountRunsAsync(name)).Should().Be(1);
    }

    [Fact]
    public async Task TimestampedSignature_OnAHookThatAcceptsEither_IsAcceptedBesideThePlainOne()
    {
        var (name, secret) = await SignedHookAsync("either", "");

        var timestamped = await Client.DeliverAsync(name, """{"n": 1}""", Headers(TimestampedSignature("""{"n": 1}""", secret, DateTimeOffset.UtcNow)));
        var plain = await Client.DeliverAsync(name, """{"n": 2}""", Headers(PlainSignature("""{"n": 2}""", secret)));

        timestamped.Status.Should().Be(HttpStatusCode.Accepted, timestamped.ToString());
        plain.Status.Should().Be(HttpStatusCode.Accepted, plain.ToString());
        (await flowkit.CountRunsAsync(name)).Should().Be(2);
    }

    [Fact]
    public async Task UnsignedHook_DedupeExpression_TakesPrecedenceOverTheIdempotencyKeyHeader()
    {
        var name = Api.UniqueName("precedence");
        await Client.CreateWorkflowAsync(Hooks.Workflow(name, $"{{ key: {name}, dedupe: body.id }}"));

        var first = await Client.DeliverAsync(name, """{"id": "inv-1"}""", new Dictionary<string, string> { ["Idempotency-Key"] = "k-1" });
        var sameIdNewKey = await Client.DeliverAsync(name, """{"id": "inv-1"}""", new Dictionary<string, string> { ["Idempotency-Key"] = "k-2" });
        var newIdSameKey = await Client.DeliverAsync(name, """{"id": "inv-2"}""", new Dictionary<string, string> { ["Idempotency-Key"] = "k-1" });

        sameIdNewKey.Duplicate.Should().BeTrue(sameIdNewKey.ToString());
        sameIdNewKey.RunId.Should().Be(first.RunId);
        newIdSameKey.Duplicate.Should().BeFalse(newIdSameKey.ToString());
        (await flowkit.CountRunsAsync(name)).Should().Be(2);
    }

    [Fact]
    public async Task Definition_SignatureWithoutSecretOrUnknownScheme_Answers422NamingTheField()
    {
        var name = Api.UniqueName("unsigned-timestamped");

        var noSecret = await Client.PostYamlAsync("/api/v1/workflows", Hooks.Workflow(name, $"{{ key: {name}, signature: timestamped }}"));
        var unknown = await Client.PostYamlAsync("/api/v1/workflows", Hooks.Workflow(name, $$$"""{ key: {{{name}}}, secret: "{{ secrets.x }}", signature: sha1 }"""));

        noSecret.Status.Should().Be(HttpStatusCode.UnprocessableEntity, noSecret.Text);
        noSecret.Body.GetProperty("errors")[0].GetProperty("path").GetString().Should().Be("$.triggers[0].webhook.signature");
        unknown.Status.Should().Be(HttpStatusCode.UnprocessableEntity, unknown.Text);
        unknown.Body.GetProperty("errors")[0].GetProperty("path").GetString().Should().Be("$.triggers[0].webhook.signature");
    }

    /// <summary>A workflow in <c>default</c> with a webhook signed by a secret stored through the secrets API.</summary>
    private async Task<(string Name, string Secret)> SignedHookAsync(string prefix, string extra)
    {
        var name = Api.UniqueName(prefix);
        var secretName = "hook_" + name.Replace('-', '_');
        var secret = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        var stored = await Client.SendAsync(HttpMethod.Put, $"/api/v1/secrets/{secretName}", $$"""{"value": "{{secret}}"}""");
        stored.Status.Should().Be(HttpStatusCode.NoContent, stored.Text);
        await Client.CreateWorkflowAsync(Hooks.Workflow(name, $$$"""{ key: {{{name}}}, secret: "{{ secrets.{{{secretName}}} }}"{{{extra}}} }"""));
        return (name, secret);
    }

    private static Dictionary<string, string> Headers(string signature, string? idempotencyKey = null)
    {
        var headers = new Dictionary<string, string> { ["X-Flowkit-Signature"] = signature };
        if (idempotencyKey is not null)
        {
            headers["Idempotency-Key"] = idempotencyKey;
        }

        return headers;
    }

    private static string PlainSignature(string body, string secret) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(body)));

    private static string TimestampedSignature(string body, string secret, DateTimeOffset at)
    {
        var t = at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{t}.{body}"));
        return $"t={t},v1={Convert.ToHexStringLower(mac)}";
    }
}
