using Flowkit.Api.Cron;
using Flowkit.Definitions;

namespace Flowkit.IntegrationTests;

/// <summary>The cap of <c>misfire: fireAll</c> (issue #18), at fixed times: only the latest misfireLimit missed fires run.</summary>
public sealed class CronCatchUpTests
{
    private static readonly CronTrigger Hourly = new("0 0 * * * ?", null, CronMisfire.FireAll, 3);
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 10, 30, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(10, true)]  // on time: no later fire
    [InlineData(9, true)]   // one later fire (10:00)
    [InlineData(8, true)]   // two later
    [InlineData(7, false)]  // three later: older than the latest three
    [InlineData(1, false)]
    public void WithinLimit_MissedFire_OnlyTheLatestLimitRun(int hour, bool runs)
    {
        var scheduledAt = new DateTimeOffset(2026, 12, 3, hour, 0, 0, TimeSpan.Zero);

        CronCatchUp.WithinLimit(Hourly, scheduledAt, Now, Hourly.MisfireLimit).Should().Be(runs);
    }

    [Fact]
    public void WithinLimit_TimeZone_CountsFiresInTheTriggersZone()
    {
        var seoul = new CronTrigger("0 0 9 * * ?", "Asia/Seoul", CronMisfire.FireAll, 1);
        var dayBefore = new DateTimeOffset(2026, 12, 2, 0, 0, 0, TimeSpan.Zero); // 09:00 in Seoul

        CronCatchUp.WithinLimit(seoul, dayBefore, new DateTimeOffset(2026, 12, 2, 23, 59, 0, TimeSpan.Zero), 1).Should().BeTrue();
        CronCatchUp.WithinLimit(seoul, dayBefore, new DateTimeOffset(2026, 12, 3, 0, 0, 0, TimeSpan.Zero), 1).Should().BeFalse();
    }
}
