namespace Flowkit.Definitions.Tests.Compiler;

public sealed class DurationsTests
{
    [Theory]
    [InlineData("500ms", 500)]
    [InlineData("30s", 30_000)]
    [InlineData("10m", 600_000)]
    [InlineData("24h", 86_400_000)]
    [InlineData("7d", 604_800_000)]
    [InlineData("1h30m", 5_400_000)]
    [InlineData("2m30s250ms", 150_250)]
    [InlineData("0s", 0)]
    public void TryParse_WrittenDuration_GivesItsLength(string text, long milliseconds)
    {
        Durations.TryParse(text, out var duration).Should().BeTrue();

        duration.Should().Be(TimeSpan.FromMilliseconds(milliseconds));
    }

    [Theory]
    [InlineData("")]
    [InlineData("30")]
    [InlineData("30 s")]
    [InlineData("-5s")]
    [InlineData("1.5h")]
    [InlineData("1h1h")]
    [InlineData("30m1h")]
    [InlineData("10M")]
    [InlineData("5w")]
    [InlineData("1234567890s")]
    public void TryParse_Garbage_IsRefused(string text)
    {
        Durations.TryParse(text, out _).Should().BeFalse();
    }

    [Theory]
    [InlineData(90_061_001, "1d1h1m1s1ms")]
    [InlineData(5_400_000, "1h30m")]
    [InlineData(500, "500ms")]
    public void Format_Duration_ReadsBackTheSame(long milliseconds, string text)
    {
        var duration = TimeSpan.FromMilliseconds(milliseconds);

        Durations.Format(duration).Should().Be(text);
        Durations.TryParse(text, out var back).Should().BeTrue();
        back.Should().Be(duration);
    }
}
