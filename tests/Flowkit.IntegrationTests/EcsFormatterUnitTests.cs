using System.Text.Json;
using Flowkit.Host.Observability;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Flowkit.IntegrationTests;

/// <summary>The ECS log line's <c>@timestamp</c> comes from the host's TimeProvider (CONVENTIONS.md section 7, issue #11).</summary>
public sealed class EcsFormatterUnitTests
{
    [Fact]
    public void EcsFormatter_TimeProviderAtAFixedTime_WritesThatTimeAsTimestamp()
    {
        var at = new DateTimeOffset(2031, 2, 3, 4, 5, 6, 789, TimeSpan.Zero);
        using var services = new ServiceCollection().AddOptions().BuildServiceProvider();
        var formatter = new EcsConsoleFormatter(services.GetRequiredService<IOptionsMonitor<EcsConsoleFormatterOptions>>(), new FixedTime(at));
        using var output = new StringWriter();

        formatter.Write(new LogEntry<string>(LogLevel.Information, "Flowkit.Test", new EventId(1), "hello", null, (s, _) => s), null, output);

        var line = JsonDocument.Parse(output.ToString()).RootElement;
        line.GetProperty("@timestamp").GetString().Should().Be("2031-02-03T04:05:06.7890000Z");
        line.GetProperty("message").GetString().Should().Be("hello");
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
