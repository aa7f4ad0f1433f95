using Flowkit.Api.Cron;
using Flowkit.Definitions;
using Quartz;

namespace Flowkit.IntegrationTests;

/// <summary>Cron misfire policies (issue #18): each trigger setting becomes its Quartz misfire instruction, and a change replaces the trigger.</summary>
public sealed class CronMisfireTests
{
    [Theory]
    [InlineData(CronMisfire.FireOnce, CronTriggerMisfireInstruction.FireAndProceed)]
    [InlineData(CronMisfire.Skip, CronTriggerMisfireInstruction.DoNothing)]
    [InlineData(CronMisfire.FireAll, CronTriggerMisfireInstruction.IgnoreMisfires)]
    public void Build_MisfirePolicy_IsQuartzInstruction(CronMisfire misfire, CronTriggerMisfireInstruction instruction)
    {
        var trigger = (ICronTrigger)CronTriggers.Build(new DesiredCron("default", Guid.NewGuid(), 0, "0 0 9 * * ?", null, misfire));

        trigger.MisfireInstruction.Should().Be(instruction);
    }

    [Fact]
    public void Matches_MisfireChanged_IsFalse()
    {
        var cron = new DesiredCron("default", Guid.NewGuid(), 0, "0 0 9 * * ?", null, CronMisfire.FireOnce);

        CronTriggers.Matches(CronTriggers.Build(cron), cron).Should().BeTrue();
        CronTriggers.Matches(CronTriggers.Build(cron), cron with { Misfire = CronMisfire.Skip }).Should().BeFalse();
    }
}
