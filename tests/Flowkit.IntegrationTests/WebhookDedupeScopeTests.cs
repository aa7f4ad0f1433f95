using System.Net;
using Flowkit.Testing;

namespace Flowkit.IntegrationTests;

/// <summary>
/// Issue 19 finding 7: webhook deduplication belongs to the workflow, and its records do not grow for ever.
/// </summary>
[Collection(FlowkitCollection.Name)]
public sealed class WebhookDedupeScopeTests(FlowkitFixture flowkit)
{
    private HttpClient Client => flowkit.Client;

    [Fact]
    public async Task Hook_NewWorkflowReusesAnArchivedWorkflowsKey_StartsItsOwnRun()
    {
        var key = Api.UniqueName("reused");
        const string body = """{"invoice": 42}""";
        await Client.CreateWorkflowAsync(Hooks.Workflow(key + "-old", $"{{ key: {key} }}"));
        var old = await Client.DeliverAsync(key, body);
        (await Client.RemoveAsync($"/api/v1/workflows/{key}-old")).Status.Should().Be(HttpStatusCode.NoContent);
        await Client.CreateWorkflowAsync(Hooks.Workflow(key + "-new", $"{{ key: {key} }}"));

        var delivered = await Client.DeliverAsync(key, body);

        old.Status.Should().Be(HttpStatusCode.Accepted, old.ToString());
        delivered.Status.Should().Be(HttpStatusCode.Accepted, delivered.ToString());
        delivered.Duplicate.Should().BeFalse("the new workflow has never received this delivery");
        delivered.RunId.Should().NotBe(old.RunId);
        (await Client.GetRunAsync(delivered.RunId)).GetProperty("workflow").GetString().Should().Be(key + "-new");
    }

    [Fact]
    public async Task RunRequests_OlderThanTheDeduplicationWindow_ArePrunedAndYoungerOnesKept()
    {
        // An API process that prunes often; its window (1 h) leaves every other test's keys alone.
        flowkit.StartHost("api", new Dictionary<string, string?>
        {
            ["Flowkit:Ingress:DedupeRetention"] = "01:00:00",
            ["Flowkit:Ingress:RunRequestPruneInterval"] = "00:00:00.200",
            ["Flowkit:Ingress:RunRequestPruneBatch"] = "2",
        });
        var name = Api.UniqueName("prune");
        await Client.CreateWorkflowAsync(Hooks.Workflow(name, $"{{ key: {name} }}"));
        var aged = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            aged.Add((await Client.DeliverAsync(name, $$"""{"old": {{i}}}""")).RunId);
        }

        var young = (await Client.DeliverAsync(name, """{"young": true}""")).RunId;
        await flowkit.ScalarAsync<int>(
            "UPDATE run_requests SET created_at = now() - interval '2 hours' WHERE run_id = ANY(@ids) RETURNING 1", ("ids", aged.ToArray()));

        await Eventually.UntilAsync(
            () => flowkit.ScalarAsync<long>("SELECT count(*) FROM run_requests WHERE run_id = ANY(@ids)", ("ids", aged.ToArray())),
            left => left == 0, TimeSpan.FromSeconds(20), "the aged keys to be pruned");
        (await flowkit.ScalarAsync<long>("SELECT count(*) FROM run_requests WHERE run_id = @id", ("id", young))).Should().Be(1);
    }
}
