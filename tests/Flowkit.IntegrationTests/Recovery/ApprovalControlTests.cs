using System.Net;

namespace Flowkit.IntegrationTests.Recovery;

/// <summary>Deciding approvals of runs that can no longer use the decision (issue #10).</summary>
[Collection(FlowkitCollection.Name)]
public sealed class ApprovalControlTests(Flowkit.Testing.FlowkitFixture flowkit)
{
    private HttpClient Client => flowkit.Client;

    [Fact]
    public async Task Approval_RunEndedWhileItWaited_Answers409AndRecordsNoDecision()
    {
        var name = Api.UniqueName("ended-approval");
        await Client.CreateWorkflowAsync($$$"""
            name: {{{name}}}
            steps:
              - id: ask
                type: approval
                message: "Go?"
                timeout: 1h
            """);
        var runId = await Client.StartRunAsync(name);
        await Client.WaitForStatusAsync(runId, "waiting");
        (await Client.PostJsonAsync($"/api/v1/runs/{runId}/cancel", new { })).Status.Should().Be(HttpStatusCode.Accepted);
        (await Client.WaitForRunEndAsync(runId)).Status().Should().Be("cancelled");

        var (status, body) = await Client.PostJsonAsync($"/api/v1/runs/{runId}/approvals/ask", new { decision = "approve" });

        status.Should().Be(HttpStatusCode.Conflict, body.ToString());
        body.GetProperty("detail").GetString().Should().Contain("ended");
        (await flowkit.ScalarAsync<long>("SELECT count(*) FROM approvals WHERE run_id = @r AND decision IS NOT NULL", ("r", runId))).Should().Be(0);
    }
}
