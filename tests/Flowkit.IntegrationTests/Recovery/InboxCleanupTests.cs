using Flowkit.Engine.Outbox;
using Flowkit.Persistence.Outbox;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Flowkit.IntegrationTests.Recovery;

/// <summary>Inbox cleanup deletes what is past retention, batch by batch, and keeps the rest (issue #10).</summary>
[Collection(FlowkitCollection.Name)]
public sealed class InboxCleanupTests(Flowkit.Testing.FlowkitFixture flowkit)
{
    [Fact]
    public async Task Cleanup_MoreOldRowsThanABatch_DeletesThemAllAndKeepsRecentOnes()
    {
        var consumer = Api.UniqueName("cleanup");
        await using (var connection = new Npgsql.NpgsqlConnection(flowkit.PostgresConnectionString))
        {
            await connection.OpenAsync(TestContext.Current.CancellationToken);
            await using var command = new Npgsql.NpgsqlCommand($"""
                INSERT INTO inbox (message_id, consumer, received_at)
                SELECT gen_random_uuid(), '{consumer}', now() - interval '30 days' FROM generate_series(1, 250);
                INSERT INTO inbox (message_id, consumer, received_at) VALUES (gen_random_uuid(), '{consumer}', now());
                """, connection);
            await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        var cleanup = new InboxCleanup(
            flowkit.Host.Services.GetRequiredService<IServiceScopeFactory>(),
            Options.Create(new OutboxOptions { CleanupBatchSize = 100 }),
            TimeProvider.System,
            NullLogger<InboxCleanup>.Instance);

        var deleted = await cleanup.CleanAsync(TestContext.Current.CancellationToken);

        deleted.Should().BeGreaterThanOrEqualTo(250);
        (await flowkit.ScalarAsync<long>("SELECT count(*) FROM inbox WHERE consumer = @c", ("c", consumer))).Should().Be(1);
    }
}
