using System.Net;
using Flowkit.Worker.Steps.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Flowkit.Worker.Tests;

/// <summary>
/// The SSRF guard of http and notify steps. Refusals happen before a connection is made, so the private and
/// metadata addresses below are never actually contacted.
/// </summary>
public sealed class SsrfTests
{
    [Theory]
    [InlineData("http://10.1.2.3/admin", "private (10.0.0.0/8)")]
    [InlineData("http://172.16.5.4/", "private (172.16.0.0/12)")]
    [InlineData("http://192.168.0.1/", "private (192.168.0.0/16)")]
    [InlineData("http://100.64.0.1/", "carrier-grade NAT")]
    [InlineData("http://127.0.0.1/", "loopback")]
    [InlineData("http://0.0.0.0/", "'this network'")]
    [InlineData("http://169.254.10.10/", "link-local")]
    [InlineData("http://[::1]/", "loopback (::1)")]
    [InlineData("http://[fe80::1]/", "link-local (fe80::/10)")]
    [InlineData("http://[fc00::1]/", "unique local")]
    [InlineData("http://[::ffff:10.0.0.1]/", "private (10.0.0.0/8)")]
    [InlineData("http://[64:ff9b::a00:1]/", "private (10.0.0.0/8), embedded")]
    [InlineData("http://224.0.0.1/", "multicast")]
    [InlineData("http://2130706433/", "loopback")]
    [InlineData("http://0x7f000001/", "loopback")]
    [InlineData("http://127.1/", "loopback")]
    [InlineData("http://017700000001/", "loopback")]
    public async Task Http_PrivateAddress_IsRefusedWithoutRetry(string url, string reason)
    {
        await using var worker = new StepHarness();

        var failure = await worker.FailAsync("http", new { @with = new { url } });

        failure.Retryable.Should().BeFalse();
        failure.Code.Should().Be("ssrf_blocked");
        failure.Message.Should().Contain(reason).And.Contain("Flowkit:Worker:Http:AllowedNetworks");
    }

    [Theory]
    [InlineData("http://169.254.169.254/latest/meta-data/iam/security-credentials/")]
    [InlineData("http://[fd00:ec2::254]/latest/meta-data/")]
    [InlineData("http://metadata.google.internal/computeMetadata/v1/")]
    [InlineData("http://METADATA.google.internal./computeMetadata/v1/")]
    public async Task Http_CloudMetadata_IsRefused(string url)
    {
        await using var worker = new StepHarness();

        var failure = await worker.FailAsync("http", new { @with = new { url } });

        failure.Code.Should().Be("ssrf_blocked");
        failure.Message.Should().Contain("cloud metadata");
    }

    [Fact]
    public async Task Http_CloudMetadata_IsRefusedEvenWhenABroadRangeIsAllowed()
    {
        await using var worker = new StepHarness(new Dictionary<string, string?> { ["Flowkit:Worker:Http:AllowedNetworks:0"] = "169.254.0.0/16" });

        var failure = await worker.FailAsync("http", new { @with = new { url = "http://169.254.169.254/" } });

        failure.Message.Should().Contain("list exactly 169.254.169.254");
    }

    [Fact]
    public async Task Http_RedirectFromAllowedServerToMetadata_IsRefused()
    {
        await using var server = await LoopbackServer.StartAsync(app =>
            app.MapGet("/innocent", () => Results.Redirect("http://169.254.169.254/latest/meta-data/")));
        await using var worker = new StepHarness(StepHarness.AllowLoopbackNetwork());

        var failure = await worker.FailAsync("http", new { @with = new { url = server.Url("/innocent") } });

        failure.Code.Should().Be("ssrf_blocked");
        failure.Message.Should().Contain("redirected to http://169.254.169.254/latest/meta-data/").And.Contain("cloud metadata");
    }

    [Fact]
    public async Task Http_RedirectFromAllowedServerToPrivateAddress_IsRefused()
    {
        await using var server = await LoopbackServer.StartAsync(app =>
            app.MapGet("/innocent", () => Results.Redirect("http://10.0.0.5:8080/internal")));
        await using var worker = new StepHarness(StepHarness.AllowLoopbackNetwork());

        var failure = await worker.FailAsync("http", new { @with = new { url = server.Url("/innocent") } });

        failure.Code.Should().Be("ssrf_blocked");
        failure.Message.Should().Contain("10.0.0.5").And.Contain("private (10.0.0.0/8)");
    }

    [Fact]
    public async Task Http_NameResolvingToLoopback_IsRefusedWhenLoopbackIsNotAllowed()
    {
        // 'localhost' is a name: the guard checks the addresses it resolves to, not the text of the URL.
        await using var server = await LoopbackServer.StartAsync(app => app.MapGet("/", () => "hello"));
        await using var worker = new StepHarness();

        var failure = await worker.FailAsync("http", new { @with = new { url = $"http://localhost:{server.Port}/" } });

        failure.Code.Should().Be("ssrf_blocked");
        failure.Message.Should().Contain("localhost (").And.Contain("loopback");
    }

    [Fact]
    public async Task Http_NameInAllowedHosts_IsCalled()
    {
        await using var server = await LoopbackServer.StartAsync(app => app.MapGet("/", () => "hello"));
        await using var worker = new StepHarness(new Dictionary<string, string?> { ["Flowkit:Worker:Http:AllowedHosts:0"] = "localhost" });

        var output = await worker.RunAsync("http", new { @with = new { url = $"http://localhost:{server.Port}/" } });

        output!["body"]!.GetValue<string>().Should().Be("hello");
    }

    [Fact]
    public async Task Http_LoopbackInDevelopment_IsCalled()
    {
        await using var server = await LoopbackServer.StartAsync(app => app.MapGet("/", () => "hello"));
        await using var worker = new StepHarness(environment: "Development");

        var output = await worker.RunAsync("http", new { @with = new { url = server.Url("/") } });

        output!["status"]!.GetValue<int>().Should().Be(200);
    }

    [Fact]
    public async Task Http_LoopbackInDevelopmentWithLoopbackSwitchedOff_IsRefused()
    {
        await using var worker = new StepHarness(new Dictionary<string, string?> { ["Flowkit:Worker:Http:AllowLoopback"] = "false" }, "Development");

        var failure = await worker.FailAsync("http", new { @with = new { url = "http://127.0.0.1:9/" } });

        failure.Code.Should().Be("ssrf_blocked");
    }

    [Fact]
    public async Task Notify_PrivateAddress_IsRefused()
    {
        await using var worker = new StepHarness();

        var failure = await worker.FailAsync("notify", new { @with = new { url = "http://192.168.1.1/hook", text = "hi" } });

        failure.Code.Should().Be("ssrf_blocked");
    }

    [Theory]
    [InlineData("8.8.8.8", null)]
    [InlineData("1.1.1.1", null)]
    [InlineData("2606:4700:4700::1111", null)]
    [InlineData("172.15.255.255", null)]
    [InlineData("172.32.0.0", null)]
    [InlineData("172.31.255.255", "private (172.16.0.0/12)")]
    [InlineData("100.63.255.255", null)]
    [InlineData("100.128.0.0", null)]
    [InlineData("255.255.255.255", "reserved")]
    [InlineData("198.18.0.1", "benchmarking")]
    [InlineData("::", "unspecified")]
    [InlineData("ff02::1", "multicast")]
    [InlineData("2002:0a00:0001::1", "private (10.0.0.0/8), embedded")]
    [InlineData("2002:0808:0808::1", null)]
    [InlineData("::ffff:8.8.8.8", null)]
    public void Classify_Address_NamesItsRangeOrNullWhenPublic(string address, string? expected)
    {
        var what = AddressPolicy.Classify(IPAddress.Parse(address));

        if (expected is null)
        {
            what.Should().BeNull();
        }
        else
        {
            what.Should().Contain(expected);
        }
    }

    [Theory]
    [InlineData("10.20.30.40", true)]
    [InlineData("10.20.255.1", true)]
    [InlineData("10.21.0.1", false)]
    [InlineData("192.168.7.7", true)]
    [InlineData("192.168.7.8", false)]
    [InlineData("fd12:3456::1", true)]
    public void Refusal_AllowedNetworks_OpenOnlyWhatTheyName(string address, bool allowed)
    {
        var options = new HttpStepOptions();
        options.AllowedNetworks.Add("10.20.0.0/16");
        options.AllowedNetworks.Add("192.168.7.7");
        options.AllowedNetworks.Add("fd12:3456::/32");
        var policy = new AddressPolicy(options, allowLoopback: false);

        (policy.Refusal("some.host", IPAddress.Parse(address)) is null).Should().Be(allowed);
    }

    [Theory]
    [InlineData("api.corp.example", true)]
    [InlineData("deep.api.corp.example", true)]
    [InlineData("corp.example.evil.com", false)]
    [InlineData("billing.internal", true)]
    [InlineData("other.internal", false)]
    public void Refusal_AllowedHosts_MatchExactlyOrBySuffix(string host, bool allowed)
    {
        var options = new HttpStepOptions();
        options.AllowedHosts.Add("*.corp.example");
        options.AllowedHosts.Add("Billing.Internal");
        var policy = new AddressPolicy(options, allowLoopback: false);

        (policy.Refusal(host, IPAddress.Parse("10.0.0.1")) is null).Should().Be(allowed);
    }

    [Fact]
    public async Task Options_AllowlistEntryThatCannotBeRead_FailNamingIt()
    {
        await using var worker = new StepHarness(new Dictionary<string, string?> { ["Flowkit:Worker:Http:AllowedNetworks:0"] = "10.0.0.0/33" });

        var act = () => worker.Services.GetRequiredService<IOptions<HttpStepOptions>>().Value;

        act.Should().Throw<OptionsValidationException>().WithMessage("*AllowedNetworks:0*10.0.0.0/33*");
    }
}
