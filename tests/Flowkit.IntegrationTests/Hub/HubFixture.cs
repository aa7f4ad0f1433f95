using Flowkit.Testing;

namespace Flowkit.IntegrationTests.Hub;

/// <summary>
/// The real services, one host with the api, engine and worker roles, and one more with only the hub role (as it
/// would run scaled on its own), sending e-mail to a local SMTP sink and retrying fast.
/// </summary>
public sealed class HubFixture : FlowkitFixture, IAsyncLifetime
{
    /// <summary>Attempts per delivery in these tests.</summary>
    public const int MaxAttempts = 3;

    internal SmtpSink Smtp { get; private set; } = null!;

    public FlowkitHost HubHost { get; private set; } = null!;

    public new async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        Smtp = SmtpSink.Start();
        HubHost = StartHost("hub", new Dictionary<string, string?>
        {
            ["Flowkit:Hub:Smtp:Host"] = "127.0.0.1",
            ["Flowkit:Hub:Smtp:Port"] = Smtp.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Flowkit:Hub:Smtp:UseStartTls"] = "false",
            ["Flowkit:Hub:Smtp:From"] = "flowkit@example.test",
            ["Flowkit:Hub:MaxAttempts"] = MaxAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Flowkit:Hub:RetryDelay"] = "00:00:00.200",
            ["Flowkit:Hub:MaxRetryDelay"] = "00:00:00.500",
            ["Flowkit:Hub:AttemptTimeout"] = "00:00:05",
        });

        // Events published before the hub's queue is bound would not reach it: wait until it consumes.
        using var probe = HubHost.CreateClient();
        await Eventually.UntilAsync(
            async () => (await probe.GetAsync(new Uri("/health/ready", UriKind.Relative))).StatusCode,
            status => status == System.Net.HttpStatusCode.OK,
            TimeSpan.FromSeconds(60),
            "the hub host to be ready (its queues consuming)");
    }

    public new async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Smtp.DisposeAsync();
    }
}
