using System.Text.Json;
using Flowkit.Api.Cron;
using Flowkit.Testing;
using Npgsql;

namespace Flowkit.IntegrationTests;

/// <summary>Cron triggers on the clustered Quartz scheduler (issue #7).</summary>
[Collection(FlowkitCollection.Name)]
public sealed class CronTests(FlowkitFixture flowkit)
{
    private static readonly Dictionary<string, string?> FastScheduler = new()
    {
        ["Flowkit:Scheduler:ReconcileInterval"] = "00:00:01",
        ["Flowkit:Scheduler:CheckinInterval"] = "00:00:02",
    };

    [Fact]
    public async Task Cron_EverySecondWithTwoSchedulerProcesses_StartsOneRunPerFire()
    {
        var name = Api.UniqueName("tick");
        // Every second is under the default Flowkit:Limits:MinCronInterval (issue #19); this test's API host allows it.
        using var client = flowkit.StartHost("api", new Dictionary<string, string?> { ["Flowkit:Limits:MinCronInterval"] = "00:00:01" }).CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", FlowkitFixture.BootstrapKey);
        await client.CreateWorkflowAsync($$$"""
            name: {{{name}}}
            triggers:
              - cron: { expression: "* * * * * ?" }
            steps:
              - id: note
                type: transform
                with: { at: "{{ input.scheduledAt }}" }
            """);
        var workflowId = await flowkit.ScalarAsync<Guid>("SELECT id FROM workflows WHERE name = @n", ("n", name));

        using var one = flowkit.StartProcess("scheduler", FastScheduler);
        using var two = flowkit.StartProcess("scheduler", FastScheduler);
        await Eventually.UntilAsync(
            () => flowkit.CountRunsAsync(name),
            count => count >= 6,
            TimeSpan.FromSeconds(90),
            $"six cron runs; scheduler output:{Environment.NewLine}{one.Output}{Environment.NewLine}{two.Output}");
        var nodes = await flowkit.ScalarAsync<long>("SELECT count(*) FROM qrtz_scheduler_state WHERE sched_name = 'flowkit'");

        // Archive: the reconcilers remove the trigger, and fires still in flight see the archive and start nothing.
        await flowkit.ScalarAsync<int>("UPDATE workflows SET archived_at = now() WHERE id = @id RETURNING 1", ("id", workflowId));
        await Eventually.UntilAsync(
            () => flowkit.ScalarAsync<long>("SELECT count(*) FROM qrtz_triggers WHERE trigger_group = 'flowkit-cron' AND trigger_name LIKE @p", ("p", $"{workflowId:N}.%")),
            count => count == 0,
            TimeSpan.FromSeconds(30),
            "the archived workflow's trigger to be removed");

        nodes.Should().Be(2, "both scheduler processes joined the cluster");
        var fires = await ReadFiresAsync(name);
        fires.Select(f => f.ScheduledAt).Should().OnlyHaveUniqueItems("one run per scheduled fire, whichever node fired it");
        fires.Should().AllSatisfy(f => f.ScheduledAt.Millisecond.Should().Be(0));
        fires.Should().AllSatisfy(f => f.FiredAt.Should().BeOnOrAfter(f.ScheduledAt));
        var ordered = fires.Select(f => f.ScheduledAt).Order().ToArray();
        ordered.Zip(ordered.Skip(1), (a, b) => b - a).Should().AllSatisfy(gap => gap.Should().Be(TimeSpan.FromSeconds(1)), "no fire was lost");
        (await flowkit.ScalarAsync<long>("SELECT count(*) FROM run_requests WHERE scope = @s", ("s", $"cron:{workflowId}:0"))).Should().Be(fires.Count);
    }

    [Fact]
    public async Task Cron_MissedFiresWhileNoSchedulerRan_EachMisfirePolicyStartsWhatItSays()
    {
        // A daily trigger whose next fire is about 12 hours away, so no regular fire can land inside this test; its
        // next_fire_time is then moved 4 days back, as if no scheduler node had run for those days (fires due 4, 3, 2
        // and 1 day ago were missed). With a 1 s misfire threshold the scheduler's misfire handler finds it at once.
        var hour = (DateTimeOffset.UtcNow.Hour + 12) % 24;
        var policies = new (string Misfire, string Name, int Runs)[]
        {
            ("misfire: fireOnce", Api.UniqueName("mf-once"), 1),
            ("misfire: skip", Api.UniqueName("mf-skip"), 0),
            ("misfire: fireAll, misfireLimit: 2", Api.UniqueName("mf-all"), 2),
        };
        foreach (var (misfire, name, _) in policies)
        {
            await flowkit.Client.CreateWorkflowAsync($$$"""
                name: {{{name}}}
                triggers:
                  - cron: { expression: "0 0 {{{hour}}} * * ?", {{{misfire}}} }
                steps:
                  - id: note
                    type: transform
                    with: { at: "{{ input.scheduledAt }}" }
                """);
        }

        var settings = new Dictionary<string, string?>(FastScheduler) { ["Flowkit:Scheduler:MisfireThreshold"] = "00:00:01" };
        using var scheduler = flowkit.StartProcess("scheduler", settings);
        var triggers = new List<(string Name, int Runs, string Pattern)>();
        foreach (var (_, name, runs) in policies)
        {
            var id = await flowkit.ScalarAsync<Guid>("SELECT id FROM workflows WHERE name = @n", ("n", name));
            triggers.Add((name, runs, $"{id:N}.%"));
        }

        foreach (var (_, _, pattern) in triggers)
        {
            await Eventually.UntilAsync(
                () => flowkit.ScalarAsync<long>("SELECT count(*) FROM qrtz_triggers WHERE trigger_group = 'flowkit-cron' AND trigger_name LIKE @p", ("p", pattern)),
                count => count == 1,
                TimeSpan.FromSeconds(60),
                $"the reconciler to create trigger {pattern}; scheduler output:{Environment.NewLine}{scheduler.Output}");
        }

        // Quartz keeps times as UTC ticks; the fire times after the moved one are computed from it, not from start_time.
        var fourDays = TimeSpan.FromDays(4).Ticks;
        var now = DateTimeOffset.UtcNow;
        foreach (var (_, _, pattern) in triggers)
        {
            var next = new DateTimeOffset(await flowkit.ScalarAsync<long>(
                "UPDATE qrtz_triggers SET next_fire_time = next_fire_time - @d, start_time = start_time - @d - @d WHERE trigger_group = 'flowkit-cron' AND trigger_name LIKE @p AND trigger_state = 'WAITING' RETURNING next_fire_time + @d",
                ("d", fourDays), ("p", pattern)), TimeSpan.Zero);
            next.Should().BeAfter(now).And.BeBefore(now.AddHours(25), "the trigger's next regular fire is the one at {0}:00 UTC", hour);
        }

        foreach (var (name, runs, pattern) in triggers)
        {
            // The misfire is handled once next_fire_time is back in the future; then no fire is in flight any more.
            await Eventually.UntilAsync(
                () => flowkit.ScalarAsync<long>(
                    "SELECT count(*) FROM qrtz_triggers t WHERE t.trigger_name LIKE @p AND t.next_fire_time > @now AND NOT EXISTS (SELECT 1 FROM qrtz_fired_triggers f WHERE f.trigger_name = t.trigger_name)",
                    ("p", pattern), ("now", DateTimeOffset.UtcNow.Ticks)),
                count => count == 1,
                TimeSpan.FromSeconds(60),
                $"the misfire of {name} to be handled; scheduler output:{Environment.NewLine}{scheduler.Output}");
            await Eventually.UntilAsync(() => flowkit.CountRunsAsync(name), count => count == runs, TimeSpan.FromSeconds(30), $"{runs} run(s) of {name}");
        }

        var all = await ReadFiresAsync(triggers[2].Name);
        var today = DateTime.UtcNow.Date.AddHours(hour);
        var regular = today > DateTime.UtcNow ? today : today.AddDays(1);
        all.Select(f => f.ScheduledAt.UtcDateTime).Order().Should().Equal(
            [regular.AddDays(-2), regular.AddDays(-1)], "fireAll with misfireLimit 2 runs the latest two of the four missed fires");
        (await flowkit.CountRunsAsync(triggers[1].Name)).Should().Be(0, "skip starts nothing for missed fires");
        (await flowkit.CountRunsAsync(triggers[0].Name)).Should().Be(1, "fireOnce starts one catch-up run");
    }

    [Theory]
    // Dates after any test run (a new trigger starts now); 2030-01-06 is a Sunday.
    [InlineData("0 0 9 ? * MON-FRI", "Asia/Seoul", "2030-01-06T12:00:00Z", "2030-01-07T00:00:00Z")]
    [InlineData("0 0 9 ? * MON-FRI", null, "2030-01-06T12:00:00Z", "2030-01-07T09:00:00Z")]
    [InlineData("0 30 2 * * ?", "Europe/Berlin", "2030-07-01T12:00:00Z", "2030-07-02T00:30:00Z")]
    public void CronTrigger_TimeZone_FiresAtLocalTime(string expression, string? zone, string after, string expected)
    {
        var trigger = CronTriggers.Build(new DesiredCron("default", Guid.NewGuid(), 0, expression, zone));

        var next = trigger.GetFireTimeAfter(DateTimeOffset.Parse(after, System.Globalization.CultureInfo.InvariantCulture));

        next.Should().Be(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture));
    }

    private async Task<List<(DateTimeOffset ScheduledAt, DateTimeOffset FiredAt)>> ReadFiresAsync(string workflow)
    {
        await using var connection = new NpgsqlConnection(flowkit.PostgresConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = new NpgsqlCommand("SELECT input::text FROM runs WHERE workflow = @w", connection);
        command.Parameters.AddWithValue("w", workflow);
        var fires = new List<(DateTimeOffset, DateTimeOffset)>();
        await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        while (await reader.ReadAsync(TestContext.Current.CancellationToken))
        {
            var input = JsonDocument.Parse(reader.GetString(0)).RootElement;
            input.GetProperty("trigger").GetProperty("type").GetString().Should().Be("cron");
            fires.Add((input.GetProperty("scheduledAt").GetDateTimeOffset(), input.GetProperty("firedAt").GetDateTimeOffset()));
        }

        return fires;
    }
}
