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
