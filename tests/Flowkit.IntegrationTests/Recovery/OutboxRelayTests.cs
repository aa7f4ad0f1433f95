using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Flowkit.IntegrationTests.Recovery;

/// <summary>The outbox relay against rows it cannot send and a broker that blocks publishers (issue #10).</summary>
[Collection(FlowkitCollection.Name)]
public sealed class OutboxRelayTests(Flowkit.Testing.FlowkitFixture flowkit)
{
    private HttpClient Client => flowkit.Client;

    [Fact]
    public async Task Relay_RowsThatCanNeverBeSent_AreParkedAndTheRestFlows()
    {
        var marker = Api.UniqueName("poison");

        // More unsendable rows than one relay batch, all due before anything else: an unknown message type, and a
        // destination that is not an address.
        await ExecuteAsync($"""
            INSERT INTO outbox (message_id, destination, message_type, body, due_at, created_at)
            SELECT gen_random_uuid(), 'queue:flowkit-runs', 'Flowkit.Contracts.{marker}', '{"{}"}', now() - interval '1 hour', now()
            FROM generate_series(1, 600);
            INSERT INTO outbox (message_id, destination, message_type, body, due_at, created_at)
            VALUES (gen_random_uuid(), 'not an address {marker}', 'Flowkit.Contracts.StartRun', '{"{}"}', now() - interval '1 hour', now());
            """);
        try
        {
            var name = Api.UniqueName("after-poison");
            await Client.CreateWorkflowAsync($"name: {name}\nsteps:\n  - {{ id: a, type: transform, with: {{ ok: true }} }}\n");

            var run = await Client.WaitForRunEndAsync(await Client.StartRunAsync(name));

            run.Status().Should().Be("succeeded");
            var parked = await Flowkit.Testing.Eventually.UntilAsync(
                () => flowkit.ScalarAsync<long>(
                    "SELECT count(*) FROM outbox WHERE (message_type = @t OR destination = @d) AND poisoned_at IS NOT NULL AND error <> ''",
                    ("t", $"Flowkit.Contracts.{marker}"), ("d", $"not an address {marker}")),
                n => n == 601, TimeSpan.FromSeconds(30), "every unsendable row to be parked with its reason");
            parked.Should().Be(601);
        }
        finally
        {
            await ExecuteAsync($"DELETE FROM outbox WHERE message_type = 'Flowkit.Contracts.{marker}' OR destination = 'not an address {marker}'");
        }
    }

    [Fact]
    public async Task Relay_WhilePublishing_HoldsNoRowLocks()
    {
        var messageId = Guid.NewGuid();
        var token = Guid.NewGuid();
        var observer = new GateObserver(messageId);
        // Any host's relay may claim the row (a test may have started a second engine): watch them all.
        using var connected = new Disconnecting([.. flowkit.Hosts.Select(h => h.Services.GetRequiredService<IBus>().ConnectSendObserver(observer))]);
        var body = System.Text.Json.JsonSerializer.Serialize(new { runId = Guid.NewGuid(), timestamp = DateTimeOffset.UtcNow });

        // A timer row of no run, to a queue nobody reads; the observer holds its publish as a blocked broker would.
        await ExecuteAsync($"""
            INSERT INTO outbox (message_id, destination, message_type, body, due_at, token, created_at)
            VALUES ('{messageId}', 'queue:flowkit-recovery-probe', 'Flowkit.Contracts.StartRun', '{body}', now() - interval '1 second', '{token}', now())
            """);
        try
        {
            await observer.Reached.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

            // A transition cancelling that timer must not wait for the publish to finish.
            var act = () => ExecuteAsync($"SET lock_timeout = '2s'; DELETE FROM outbox WHERE token = '{token}'");

            await act.Should().NotThrowAsync("the relay must not hold row locks while it waits for the broker");
        }
        finally
        {
            observer.Release.TrySetResult();
            await ExecuteAsync($"DELETE FROM outbox WHERE token = '{token}'");
        }
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(flowkit.PostgresConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>Holds the send of one message until released, as a broker blocking publishers holds a publish.</summary>
    private sealed class GateObserver(Guid messageId) : ISendObserver
    {
        public TaskCompletionSource Reached { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task PreSend<T>(SendContext<T> context)
            where T : class
        {
            if (context.MessageId == messageId)
            {
                Reached.TrySetResult();
#pragma warning disable VSTHRD003 // The test that owns the gate completes it; nothing here waits on a UI context.
                await Release.Task;
#pragma warning restore VSTHRD003
            }
        }

        public Task PostSend<T>(SendContext<T> context)
            where T : class => Task.CompletedTask;

        public Task SendFault<T>(SendContext<T> context, Exception exception)
            where T : class => Task.CompletedTask;
    }

    private sealed class Disconnecting(IReadOnlyList<ConnectHandle> handles) : IDisposable
    {
        public void Dispose()
        {
            foreach (var handle in handles)
            {
                handle.Disconnect();
            }
        }
    }
}
