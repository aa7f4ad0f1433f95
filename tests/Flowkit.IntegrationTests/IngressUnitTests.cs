using System.Text;
using Flowkit.Api.Ingress;
using Flowkit.Definitions;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Flowkit.IntegrationTests;

/// <summary>The pure parts of ingress (no services): bucket arithmetic, signatures, header filtering.</summary>
public sealed class IngressUnitTests
{
    private static readonly Rate FivePerSecond = Rate.Of(5, TimeSpan.FromSeconds(1));
    private static readonly Rate Plenty = Rate.Of(1000, TimeSpan.FromSeconds(1));

    [Fact]
    public void Bucket_BurstThenRefill_AdmitsFiveThenOnePerFifthOfASecond()
    {
        var ws = new Bucket();
        var hook = new Bucket();
        var at0 = Enumerable.Range(0, 7).Select(_ => TokenBucket.Take(ws, Plenty, hook, FivePerSecond, false, 0, 1_000)).ToArray();

        at0.Count(a => a.Kind == AdmissionKind.Admitted).Should().Be(5);
        at0[5].Should().Be(new Admission(AdmissionKind.Limited, 200));
        TokenBucket.Take(ws, Plenty, hook, FivePerSecond, false, 0, 1_199).Kind.Should().Be(AdmissionKind.Limited);
        TokenBucket.Take(ws, Plenty, hook, FivePerSecond, false, 0, 1_200).Kind.Should().Be(AdmissionKind.Admitted);
        TokenBucket.Take(ws, Plenty, hook, FivePerSecond, false, 0, 10_000).Kind.Should().Be(AdmissionKind.Admitted, "a full bucket holds the burst, no more");
    }

    [Fact]
    public void Bucket_QueueOverflow_ReservesSlotsAtTheRateUntilTheLongestDelay()
    {
        var ws = new Bucket();
        var hook = new Bucket();
        var admissions = Enumerable.Range(0, 9).Select(_ => TokenBucket.Take(ws, Plenty, hook, FivePerSecond, true, 600, 0)).ToArray();

        admissions.Take(5).Should().AllSatisfy(a => a.Kind.Should().Be(AdmissionKind.Admitted));
        admissions.Skip(5).Take(3).Select(a => a.Milliseconds).Should().Equal(200, 400, 600);
        admissions[8].Should().Be(new Admission(AdmissionKind.Limited, 200), "an 800 ms wait is over the 600 ms cap");
    }

    [Fact]
    public void Bucket_WorkspaceEmpty_LimitsWithoutTakingTheHooksToken()
    {
        var ws = new Bucket();
        var hook = new Bucket();
        var one = Rate.Of(1, TimeSpan.FromSeconds(1));
        TokenBucket.Take(ws, one, hook, FivePerSecond, false, 0, 0).Kind.Should().Be(AdmissionKind.Admitted);

        var second = TokenBucket.Take(ws, one, hook, FivePerSecond, false, 0, 0);

        second.Should().Be(new Admission(AdmissionKind.Limited, 1000, ByWorkspace: true));
        TokenBucket.Level(hook, FivePerSecond, 0).Should().Be(4);
    }

    [Fact]
    public void Signature_ConstantTimeHmacOfTheRawBody_MatchesOnlyTheRightSecretAndBody()
    {
        var body = Encoding.UTF8.GetBytes("""{"a":1}""");
        var header = WebhookDelivery.Sign(body, "k");

        header.Should().MatchRegex("^sha256=[0-9a-f]{64}$");
        Plain(header, body, "k").Should().Be(SignatureCheck.Valid);
        Plain(header.ToUpperInvariant().Replace("SHA256=", "sha256=", StringComparison.Ordinal), body, "k").Should().Be(SignatureCheck.Valid);
        Plain(header, body, "other").Should().Be(SignatureCheck.Mismatch);
        Plain(header, Encoding.UTF8.GetBytes("""{"a":2}"""), "k").Should().Be(SignatureCheck.Mismatch);
        Plain(null, body, "k").Should().Be(SignatureCheck.Missing);
        Plain("sha256=zz", body, "k").Should().Be(SignatureCheck.Mismatch);
        Plain(header[7..], body, "k").Should().Be(SignatureCheck.Mismatch);
        WebhookDelivery.CheckSignature(header, body, "k", WebhookSignature.Timestamped, Now, Tolerance).Should().Be(SignatureCheck.TimestampRequired);
    }

    [Theory]
    [InlineData(0, "Valid")]
    [InlineData(-300, "Valid")]
    [InlineData(300, "Valid")]
    [InlineData(-301, "OutsideTolerance")]
    [InlineData(301, "OutsideTolerance")]
    [InlineData(-86_400, "OutsideTolerance")]
    public void TimestampedSignature_TimeAgainstTheFiveMinuteWindow_IsValidOnlyInside(int offsetSeconds, string expected)
    {
        var body = Encoding.UTF8.GetBytes("""{"a":1}""");
        var header = WebhookDelivery.SignTimestamped(body, "k", Now.AddSeconds(offsetSeconds));

        header.Should().MatchRegex("^t=[0-9]+,v1=[0-9a-f]{64}$");
        WebhookDelivery.CheckSignature(header, body, "k", WebhookSignature.Timestamped, Now, Tolerance).Should().Be(Enum.Parse<SignatureCheck>(expected));
    }

    [Fact]
    public void TimestampedSignature_TamperedTimeBodyOrSecret_IsAMismatch()
    {
        var body = Encoding.UTF8.GetBytes("""{"a":1}""");
        var header = WebhookDelivery.SignTimestamped(body, "k", Now.AddMinutes(-30));
        var mac = header[(header.IndexOf(",v1=", StringComparison.Ordinal) + 4)..];
        var fresh = $"t={Now.ToUnixTimeSeconds()},v1={mac}";
        var good = WebhookDelivery.SignTimestamped(body, "k", Now);

        Check(fresh, body).Should().Be(SignatureCheck.Mismatch, "moving t forward breaks the HMAC: a stale capture cannot be refreshed");
        Check(good, Encoding.UTF8.GetBytes("""{"a":2}""")).Should().Be(SignatureCheck.Mismatch);
        WebhookDelivery.CheckSignature(good, body, "other", WebhookSignature.Any, Now, Tolerance).Should().Be(SignatureCheck.Mismatch);
        Check($"{good},v1={new string('0', 64)}", body).Should().Be(SignatureCheck.Valid, "several v1 values may be sent while a secret is rotated");
        Check($"t=1,{good}", body).Should().Be(SignatureCheck.Mismatch, "one t only");
        Check($"t={Now.ToUnixTimeSeconds()}", body).Should().Be(SignatureCheck.Mismatch);
        Check("t=abc,v1=00", body).Should().Be(SignatureCheck.Mismatch);
    }

    private static readonly DateTimeOffset Now = new(2026, 12, 3, 10, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(5);

    private static SignatureCheck Plain(string? header, byte[] body, string secret) =>
        WebhookDelivery.CheckSignature(header, body, secret, WebhookSignature.Any, Now, Tolerance);

    private static SignatureCheck Check(string header, byte[] body) =>
        WebhookDelivery.CheckSignature(header, body, "k", WebhookSignature.Any, Now, Tolerance);

    [Theory]
    [InlineData("{{ secrets.billing_hook }}", "billing_hook")]
    [InlineData("{{secrets['with-dash']}}", "with-dash")]
    [InlineData("{{ secrets.a + 'x' }}", null)]
    public void SecretName_PlainReference_IsRead(string template, string? expected) =>
        WebhookDelivery.SecretName(template).Should().Be(expected);

    [Fact]
    public void Input_Headers_LowercasedAndCredentialsDropped()
    {
        var headers = new HeaderDictionary
        {
            ["Authorization"] = "Bearer x",
            ["Proxy-Authorization"] = "Basic y",
            ["Cookie"] = "a=b",
            ["Set-Cookie"] = "c=d",
            ["X-Flowkit-Signature"] = "sha256=00",
            ["X-Hub-Signature-256"] = "sha256=00",
            ["X-Auth-Token"] = "t",
            ["X-Shopify-Access-Token"] = "t",
            ["X-Request-Id"] = "r-1",
            ["User-Agent"] = "test",
        };
        var query = new QueryCollection(new Dictionary<string, StringValues> { ["a"] = "1" });

        var input = System.Text.Json.JsonDocument.Parse(WebhookDelivery.BuildInput("[1]"u8, headers, query)).RootElement;

        input.GetProperty("headers").EnumerateObject().Select(h => h.Name).Should().BeEquivalentTo(["x-request-id", "user-agent"]);
        input.GetProperty("body").GetArrayLength().Should().Be(1);
        input.GetProperty("query").GetProperty("a").GetString().Should().Be("1");
    }
    [Theory]
    [InlineData("body.id", "expr:inv-1")]
    [InlineData("{{ body.id }}", "expr:inv-1")]
    [InlineData("body.nested.key", "expr:deep")]
    [InlineData("headers['x-delivery']", "expr:d-9")]
    [InlineData("input.body.id", "expr:inv-1")]
    [InlineData("query.event", "expr:paid")]
    [InlineData("body.amount", "expr:12.5")]
    [InlineData("body.list", "expr:[1,2]")]
    [InlineData("body.id.length", "expr:5")]
    [InlineData("body.id + ':' + query.event", "expr:inv-1:paid")]
    [InlineData("body.missing", null)]
    [InlineData("body.nothing", null)]
    [InlineData("body.constructor.name", "expr:Object")]
    public void DedupeExpression_PlainPathsAndScripts_GiveTheSameKeys(string expression, string? expected)
    {
        var headers = new HeaderDictionary { ["X-Delivery"] = "d-9" };
        var query = new QueryCollection(new Dictionary<string, StringValues> { ["event"] = "paid" });
        var input = WebhookDelivery.BuildInput("""{"id":"inv-1","nested":{"key":"deep"},"amount":12.5,"list":[1,2],"nothing":null}"""u8, headers, query);
        using var engine = new Flowkit.Definitions.Expressions.ExpressionEngine();

        WebhookDelivery.KeyFromExpression(engine, expression, input, "wf", 1).Should().Be(expected);
    }
}
