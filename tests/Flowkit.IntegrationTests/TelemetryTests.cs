using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Flowkit.IntegrationTests;

/// <summary>Flowkit calls no outside address (issue #10): MassTransit's usage telemetry, on by default, is off.</summary>
[Collection(FlowkitCollection.Name)]
public sealed class TelemetryTests(Flowkit.Testing.FlowkitFixture flowkit)
{
    [Fact]
    public void Host_Started_HasMassTransitUsageTelemetryOff()
    {
        var options = flowkit.Host.Services.GetRequiredService<IOptions<UsageTelemetryOptions>>().Value;

        options.Enabled.Should().BeFalse("the usage tracker would report to MassTransit's vendor over the internet");
    }
}
