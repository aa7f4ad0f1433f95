using System.Diagnostics;
using System.Text.Json;
using Flowkit.Contracts;
using Flowkit.Persistence;
using Flowkit.Persistence.Runs;
using Flowkit.Sagas;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Flowkit.IntegrationTests.Recovery;

/// <summary>One outbox writer: the launcher's StartRun row and the saga's are the same row (issue #10).</summary>
[Collection(FlowkitCollection.Name)]
public sealed class OutboxRowsTests(Flowkit.Testing.FlowkitFixture flowkit)
{
    [Fact]
    public async Task OutboxRows_LauncherAndSagaOutbox_WriteTheSameRowForOneMessage()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var name = Api.UniqueName("one-writer");
        await flowkit.Client.CreateWorkflowAsync($"name: {name}\nsteps:\n  - {{ id: a, type: transform, with: {{ ok: true }} }}\n");
        await using var scope = flowkit.Host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<FlowkitDbContext>();
        var workflow = await db.Workflows.AsNoTracking().SingleAsync(w => w.Name == name, cancellationToken);
        var due = DateTimeOffset.UtcNow.AddHours(1);
        using var trace = new Activity("one-writer").SetIdFormat(ActivityIdFormat.W3C).Start();

        // The launcher's row (SQL batch), queued to start later so that it stays in the outbox, then the saga's
        // writer (EfOutbox) scheduling the same message under another token.
        var launched = await scope.ServiceProvider.GetRequiredService<RunLauncher>().StartAsync(
            workflow, workflow.LatestVersion, "{}", null, null, new LaunchOptions(NotBefore: due), cancellationToken);
        var otherToken = Guid.NewGuid();
        scope.ServiceProvider.GetRequiredService<IOutbox>().Schedule(
            new StartRun { RunId = launched.RunId, Timestamp = due.ToUniversalTime() }, due.ToUniversalTime(), otherToken, launched.RunId);
        await db.SaveChangesAsync(cancellationToken);
        try
        {
            // Only the StartRun rows: the launcher also publishes RunCreated, which the relay may or may not have sent yet.
            var rows = await ReadAsync(launched.RunId);

            rows.Should().HaveCount(2);
            var (launcher, saga) = (rows[0], rows[1]);
            launcher.Token.Should().Be(TimerTokens.For(TimerKinds.Start, launched.RunId));
            saga.Token.Should().Be(otherToken);
            (launcher with { Token = null }).Should().Be(saga with { Token = null }, "both writers build the row with OutboxRows.Create");
            launcher.TraceParent.Should().Be(trace.Id);
            launcher.Destination.Should().Be($"queue:{EngineQueues.Runs}");
            launcher.MessageType.Should().Be(typeof(StartRun).FullName);
        }
        finally
        {
            // Cancelling the run deletes both timers (the saga cancels every timer of a run that ends).
            using var cancelled = await flowkit.Client.PostAsync(new Uri($"/api/v1/runs/{launched.RunId}/cancel", UriKind.Relative), null, CancellationToken.None);
        }
    }

    private async Task<List<Row>> ReadAsync(Guid runId)
    {
        var json = await flowkit.ScalarAsync<string>(
            """
            SELECT coalesce(json_agg(json_build_object('destination', destination, 'messageType', message_type, 'body', body,
                'traceParent', trace_parent, 'dueAt', due_at, 'token', token) ORDER BY sequence), '[]')::text
            FROM outbox WHERE run_id = @r AND message_type = @t
            """, ("r", runId), ("t", typeof(StartRun).FullName!));
        return JsonSerializer.Deserialize<List<Row>>(json, JsonSerializerOptions.Web)!;
    }

    private sealed record Row(string Destination, string MessageType, string Body, string? TraceParent, DateTimeOffset DueAt, Guid? Token);
}
