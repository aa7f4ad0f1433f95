using System.Net;
using Flowkit.Api.Problems;
using Flowkit.Testing;

namespace Flowkit.IntegrationTests;

/// <summary>A key sees only its workspace (CONTRACT.md section 2, issue #4): another workspace's ids answer 404.</summary>
[Collection(FlowkitCollection.Name)]
public sealed class WorkspaceIsolationTests(FlowkitFixture flowkit)
{
    [Fact]
    public async Task OtherWorkspace_EveryEndpoint_Answers404AndChangesNothing()
    {
        var owner = flowkit.Client;
        var name = Api.UniqueName("private");
        await owner.CreateWorkflowAsync(ApiCalls.Definition(name, "mine", approval: true));
        var runId = await owner.StartRunAsync(name);
        await owner.WaitForStepAsync(runId, "ask", "waiting");
        var (other, _) = await flowkit.NewWorkspaceClientAsync("other");

        var attempts = new (HttpMethod Method, string Path, string? Body)[]
        {
            (HttpMethod.Get, $"/api/v1/workflows/{name}", null),
            (HttpMethod.Get, $"/api/v1/workflows/{name}/versions", null),
            (HttpMethod.Get, $"/api/v1/workflows/{name}/versions/1", null),
            (HttpMethod.Delete, $"/api/v1/workflows/{name}", null),
            (HttpMethod.Post, $"/api/v1/workflows/{name}/runs", """{"input": {}}"""),
            (HttpMethod.Get, $"/api/v1/runs/{runId}", null),
            (HttpMethod.Get, $"/api/v1/runs/{runId}/events", null),
            (HttpMethod.Post, $"/api/v1/runs/{runId}/cancel", "{}"),
            (HttpMethod.Post, $"/api/v1/runs/{runId}/approvals/ask", """{"decision": "approve"}"""),
        };
        foreach (var (method, path, body) in attempts)
        {
            var answer = await other.SendAsync(method, path, body);
            answer.Status.Should().Be(HttpStatusCode.NotFound, $"{method} {path}: {answer.Text}");
            answer.ProblemType.Should().Be(ProblemTypes.NotFound);
        }

        var update = await other.PutYamlAsync($"/api/v1/workflows/{name}", ApiCalls.Definition(name, "theirs"));
        update.Status.Should().Be(HttpStatusCode.NotFound, update.Text);

        var run = await owner.GetRunAsync(runId);
        run.Status().Should().Be("waiting", "the other workspace could neither cancel nor decide");
        var workflow = await owner.ReadAsync($"/api/v1/workflows/{name}");
        workflow.Body.GetProperty("version").GetInt32().Should().Be(1);
        workflow.Body.GetProperty("archived").GetBoolean().Should().BeFalse();
        (await owner.SendJsonAsync($"/api/v1/runs/{runId}/cancel", new { reason = "test done" })).Status.Should().Be(HttpStatusCode.Accepted);
    }

    [Fact]
    public async Task OtherWorkspace_Lists_ShowOnlyItsOwnRows()
    {
        var owner = flowkit.Client;
        var name = Api.UniqueName("shared-name");
        await owner.CreateWorkflowAsync(ApiCalls.Definition(name, "default's"));
        var ownerRun = await owner.StartRunAsync(name);
        var (other, _) = await flowkit.NewWorkspaceClientAsync("lists");

        // Names are unique per workspace: the other workspace may use the same one.
        var created = await other.PostYamlAsync("/api/v1/workflows", ApiCalls.Definition(name, "other's"));
        created.Status.Should().Be(HttpStatusCode.Created, created.Text);
        var otherRun = await other.StartRunAsync(name);

        var runs = await other.ReadAsync($"/api/v1/runs?workflow={name}");
        runs.Body.GetProperty("items").EnumerateArray().Select(r => r.GetProperty("id").GetGuid()).Should().Equal(otherRun);
        var workflows = await other.ReadAsync("/api/v1/workflows");
        workflows.Body.GetProperty("items").EnumerateArray().Select(w => w.GetProperty("name").GetString()).Should().Equal(name);
        workflows.Body.GetProperty("items")[0].GetProperty("description").GetString().Should().Be("Says other's");
        (await owner.ReadAsync($"/api/v1/workflows/{name}")).Body.GetProperty("description").GetString().Should().Be("Says default's");
        (await owner.ReadAsync($"/api/v1/runs/{otherRun}")).Status.Should().Be(HttpStatusCode.NotFound);
        (await other.ReadAsync($"/api/v1/runs/{ownerRun}")).Status.Should().Be(HttpStatusCode.NotFound);
        var keys = await other.ReadAsync("/api/v1/keys");
        keys.Body.GetProperty("items").EnumerateArray().Select(k => k.GetProperty("name").GetString()).Should().Equal("lists-admin");
    }

    [Fact]
    public async Task OtherWorkspace_RevokingAnotherWorkspacesKey_Answers404()
    {
        var (first, _) = await flowkit.NewWorkspaceClientAsync("first");
        var (second, _) = await flowkit.NewWorkspaceClientAsync("second");
        var id = (await first.ReadAsync("/api/v1/keys")).Body.GetProperty("items")[0].GetProperty("id").GetGuid();

        var answer = await second.RemoveAsync($"/api/v1/keys/{id}");

        answer.Status.Should().Be(HttpStatusCode.NotFound, answer.Text);
        (await first.ReadAsync("/api/v1/workflows")).Status.Should().Be(HttpStatusCode.OK);
    }
}
