using System.Net;
using Flowkit.Api.Problems;
using Flowkit.Testing;

namespace Flowkit.IntegrationTests;

/// <summary>
/// Issue 19 finding 6: a key of <c>default</c> could mint an admin key for any existing workspace (and then read its
/// secrets' names). Only the bootstrap key makes keys for another workspace, and only for a new one.
/// </summary>
[Collection(FlowkitCollection.Name)]
public sealed class KeyMintingTests(FlowkitFixture flowkit)
{
    [Fact]
    public async Task Key_StoredKeyOfDefaultForAnotherWorkspace_Answers403AndMintsNothing()
    {
        var (victim, workspace) = await flowkit.NewWorkspaceClientAsync("victim");
        var stored = await victim.SendAsync(HttpMethod.Put, "/api/v1/secrets/payroll_token", """{"value": "payroll-token-value"}""");
        stored.Status.Should().Be(HttpStatusCode.NoContent, stored.Text);
        using var defaultAdmin = flowkit.CreateClient(await flowkit.Client.CreateKeyAsync(Api.UniqueName("default-admin")));

        var existing = await defaultAdmin.SendJsonAsync("/api/v1/keys", new { name = "minted", workspace });
        var fresh = await defaultAdmin.SendJsonAsync("/api/v1/keys", new { name = "minted", workspace = Api.UniqueName("fresh") });

        existing.Status.Should().Be(HttpStatusCode.Forbidden, existing.Text);
        existing.ProblemType.Should().Be(ProblemTypes.Forbidden);
        fresh.Status.Should().Be(HttpStatusCode.Forbidden, "only the bootstrap key creates workspaces");
        (await flowkit.ScalarAsync<long>("SELECT count(*) FROM api_keys WHERE workspace = @w", ("w", workspace))).Should().Be(1);
    }

    [Fact]
    public async Task Key_BootstrapKeyForAnExistingWorkspace_Answers409AndMintsNothing()
    {
        var (_, workspace) = await flowkit.NewWorkspaceClientAsync("existing");

        var answer = await flowkit.Client.SendJsonAsync("/api/v1/keys", new { name = "second-admin", workspace });

        answer.Status.Should().Be(HttpStatusCode.Conflict, answer.Text);
        answer.ProblemType.Should().Be(ProblemTypes.Conflict);
        (await flowkit.ScalarAsync<long>("SELECT count(*) FROM api_keys WHERE workspace = @w", ("w", workspace))).Should().Be(1);
    }

    [Fact]
    public async Task Key_WorkspaceAdminKey_StillMakesKeysForItsOwnWorkspace()
    {
        var (client, workspace) = await flowkit.NewWorkspaceClientAsync("own");

        var answer = await client.SendJsonAsync("/api/v1/keys", new { name = "deployer", workspace });

        answer.Status.Should().Be(HttpStatusCode.Created, answer.Text);
        answer.Body.GetProperty("workspace").GetString().Should().Be(workspace);
    }
}
