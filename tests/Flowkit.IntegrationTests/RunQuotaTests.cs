using System.Net;
using System.Net.Http.Headers;
using Flowkit.Testing;

namespace Flowkit.IntegrationTests;

/// <summary>
/// Issue 19 finding 8 (runs): a workspace's runs in flight are bounded, for every trigger, by one check in RunLauncher.
/// </summary>
[Collection(FlowkitCollection.Name)]
public sealed class RunQuotaTests(FlowkitFixture flowkit)
{
    [Fact]
    public async Task Runs_WorkspaceAtItsQuota_ApiAndWebhookAnswer429AndStartNothingUntilOneFinishes()
    {
        var workspace = Api.UniqueName("quota");
        var key = await flowkit.Client.CreateKeyAsync("quota-admin", workspace);
        var host = flowkit.StartHost("api", new Dictionary<string, string?> { [$"Flowkit:Quotas:RunsInFlightByWorkspace:{workspace}"] = "2" });
        using var client = host.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        var name = Api.UniqueName("held");
        await client.CreateWorkflowAsync($$"""
            name: {{name}}
            triggers:
              - webhook: { key: {{name}} }
            steps:
              - { id: ask, type: approval, message: "Go on?" }
            """);
        var first = await client.StartRunAsync(name);
        await client.StartRunAsync(name);

        var api = await client.SendJsonAsync($"/api/v1/workflows/{name}/runs", new { input = new { n = 3 } });
        var hook = await client.DeliverAsync(name, """{"n": 4}""", workspace: workspace);

        api.Status.Should().Be(HttpStatusCode.TooManyRequests, api.Text);
        api.ProblemType.Should().Be("https://flowkit.dev/problems/too-many-requests");
        api.Body.GetProperty("detail").GetString().Should().Contain("runs in flight");
        api.Response.Headers.RetryAfter!.Delta!.Value.Should().BeGreaterThanOrEqualTo(TimeSpan.FromSeconds(1));
        hook.Status.Should().Be(HttpStatusCode.TooManyRequests, hook.ToString());
        hook.Headers.RetryAfter.Should().NotBeNull();
        (await flowkit.CountRunsAsync(name)).Should().Be(2, "a refused launch stores nothing");

        (await client.SendJsonAsync($"/api/v1/runs/{first}/cancel", new { })).Status.Should().Be(HttpStatusCode.Accepted);
        await client.WaitForRunEndAsync(first);
        var after = await client.SendJsonAsync($"/api/v1/workflows/{name}/runs", new { input = new { n = 5 } });
        after.Status.Should().Be(HttpStatusCode.Accepted, after.Text);
    }

    [Fact]
    public async Task Cron_FireOverTheQuota_StartsNoRunAndIsLogged()
    {
        var workspace = Api.UniqueName("cron-quota");
        var key = await flowkit.Client.CreateKeyAsync("cron-admin", workspace);
        // Every second is under the default Flowkit:Limits:MinCronInterval (issue #19); this test's API host allows it.
        using var client = flowkit.StartHost("api", new Dictionary<string, string?> { ["Flowkit:Limits:MinCronInterval"] = "00:00:01" }).CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", key);
        var name = Api.UniqueName("held-tick");
        await client.CreateWorkflowAsync($$"""
            name: {{name}}
            triggers:
              - cron: { expression: "* * * * * ?" }
            steps:
              - { id: ask, type: approval, message: "Go on?" }
            """);
        // The workspace is at its quota of one before the scheduler starts, so every fire meets it. (Fires racing
        // each other could both pass the check before either commits: the documented margin, docs/ingress.md section 4.)
        await client.StartRunAsync(name);
        try
        {
            using var scheduler = flowkit.StartProcess("scheduler", new Dictionary<string, string?>
            {
                ["Flowkit:Scheduler:ReconcileInterval"] = "00:00:01",
                [$"Flowkit:Quotas:RunsInFlightByWorkspace:{workspace}"] = "1",
            });

            await Eventually.UntilAsync(
                () => Task.FromResult(scheduler.Output),
                output => output.Contains("is at its quota of runs in flight", StringComparison.Ordinal),
                TimeSpan.FromSeconds(60),
                "a cron fire refused by the quota to be logged");
            (await flowkit.CountRunsAsync(name)).Should().Be(1, "no fire started a run over the quota");
        }
        finally
        {
            // Archived, so no later scheduler (with the default quota) keeps firing it.
            (await client.RemoveAsync($"/api/v1/workflows/{name}")).Status.Should().Be(HttpStatusCode.NoContent);
        }
    }
}
