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
}
