using System.Net;
using Flowkit.Api.Problems;
using Flowkit.Testing;

namespace Flowkit.IntegrationTests.Governance;

/// <summary>Roles on API keys, rotation and revocation (issue #16, docs/security.md "Roles and permissions").</summary>
[Collection(FlowkitCollection.Name)]
public sealed class KeyRoleTests(FlowkitFixture flowkit)
{
    [Fact]
    public async Task Key_CreatedWithoutRole_IsAdminAsInV1()
    {
        var (admin, _, _, _) = await flowkit.NewAdminAsync("norole");

        var created = await admin.SendJsonAsync("/api/v1/keys", new { name = "plain" });

        created.Status.Should().Be(HttpStatusCode.Created, created.Text);
        created.Body.GetProperty("role").GetString().Should().Be("admin");
    }

    [Fact]
    public async Task Key_UnknownRole_Answers422NamingRoleAndStoresNothing()
    {
        var (admin, workspace, _, _) = await flowkit.NewAdminAsync("badrole");

        var answer = await admin.SendJsonAsync("/api/v1/keys", new { name = "boss", role = "superuser" });

        answer.Status.Should().Be(HttpStatusCode.UnprocessableEntity, answer.Text);
        answer.Body.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("path").GetString()).Should().Equal("$.role");
        (await flowkit.ScalarAsync<long>("SELECT count(*) FROM api_keys WHERE workspace = @w", ("w", workspace))).Should().Be(1);
    }

    [Fact]
    public async Task Me_KeyOfEachRole_TellsItsRoleAndPermissions()
    {
        var (admin, workspace, _, _) = await flowkit.NewAdminAsync("me");
        using var viewer = flowkit.CreateClient(await admin.CreateKeyWithRoleAsync("watcher", "viewer"));
        using var approver = flowkit.CreateClient(await admin.CreateKeyWithRoleAsync("manager", "approver"));

        var asViewer = await viewer.ReadAsync("/api/v1/keys/me");
        var asApprover = await approver.ReadAsync("/api/v1/keys/me");
        var asAdmin = await admin.ReadAsync("/api/v1/keys/me");

        asViewer.Status.Should().Be(HttpStatusCode.OK, asViewer.Text);
        asViewer.Body.GetProperty("name").GetString().Should().Be("watcher");
        asViewer.Body.GetProperty("workspace").GetString().Should().Be(workspace);
        asViewer.Body.GetProperty("role").GetString().Should().Be("viewer");
        asViewer.Body.GetProperty("permissions").EnumerateArray().Select(p => p.GetString()).Should().Equal("read");
        asApprover.Body.GetProperty("permissions").EnumerateArray().Select(p => p.GetString()).Should().Equal("read", "approve");
        asAdmin.Body.GetProperty("permissions").EnumerateArray().Select(p => p.GetString()).Should().Equal("read", "approve", "run", "operate", "edit", "govern");
    }

    [Fact]
    public async Task Viewer_ChangingAWorkflow_Answers403NamingEditAndChangesNothing()
    {
        var (admin, _, _, _) = await flowkit.NewAdminAsync("viewer");
        var name = Api.UniqueName("kept");
        await admin.CreateWorkflowAsync(ApiCalls.Definition(name, "one"));
        using var viewer = flowkit.CreateClient(await admin.CreateKeyWithRoleAsync("watcher", "viewer"));

        var update = await viewer.PutYamlAsync($"/api/v1/workflows/{name}", ApiCalls.Definition(name, "two"));
        var read = await viewer.ReadAsync($"/api/v1/workflows/{name}");

        update.Status.Should().Be(HttpStatusCode.Forbidden, update.Text);
        update.Response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        update.ProblemType.Should().Be(ProblemTypes.Forbidden);
        update.Body.GetProperty("permission").GetString().Should().Be("edit");
        update.Body.GetProperty("role").GetString().Should().Be("viewer");
        update.Body.GetProperty("detail").GetString().Should().Contain("'edit'").And.Contain("admin, editor");
        read.Status.Should().Be(HttpStatusCode.OK);
        read.Body.GetProperty("version").GetInt32().Should().Be(1);
    }

    [Fact]
    public async Task Key_AllowedRoleAskingForAnotherWorkspacesIds_StillAnswers404()
    {
        var (other, _, _, _) = await flowkit.NewAdminAsync("otherws");
        var name = Api.UniqueName("theirs");
        await other.CreateWorkflowAsync(ApiCalls.Definition(name, "one"));
        var runId = await other.StartRunAsync(name);
        var (admin, _, _, _) = await flowkit.NewAdminAsync("mine");
        using var viewer = flowkit.CreateClient(await admin.CreateKeyWithRoleAsync("watcher", "viewer"));
        using var operatorKey = flowkit.CreateClient(await admin.CreateKeyWithRoleAsync("ops", "operator"));

        (await viewer.ReadAsync($"/api/v1/workflows/{name}")).Status.Should().Be(HttpStatusCode.NotFound);
        (await viewer.ReadAsync($"/api/v1/runs/{runId}")).Status.Should().Be(HttpStatusCode.NotFound);
        (await operatorKey.SendJsonAsync($"/api/v1/runs/{runId}/cancel", new { })).Status.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Approver_DecidesApprovalsButCannotStartOrCancelRuns()
    {
        var (admin, _, _, _) = await flowkit.NewAdminAsync("approver");
        var name = Api.UniqueName("gated");
        await admin.CreateWorkflowAsync(ApiCalls.Definition(name, "one", approval: true));
        using var approver = flowkit.CreateClient(await admin.CreateKeyWithRoleAsync("manager", "approver"));
        using var operatorKey = flowkit.CreateClient(await admin.CreateKeyWithRoleAsync("ops", "operator"));

        var refusedStart = await approver.SendJsonAsync($"/api/v1/workflows/{name}/runs", new { });
        var runId = await operatorKey.StartRunAsync(name);
        await operatorKey.WaitForStepAsync(runId, "ask", "waiting");
        var refusedDecision = await operatorKey.SendJsonAsync($"/api/v1/runs/{runId}/approvals/ask", new { decision = "approve" });
        var decided = await approver.SendJsonAsync($"/api/v1/runs/{runId}/approvals/ask", new { decision = "approve" });

        refusedStart.Status.Should().Be(HttpStatusCode.Forbidden, refusedStart.Text);
        refusedStart.Body.GetProperty("permission").GetString().Should().Be("run");
        refusedDecision.Status.Should().Be(HttpStatusCode.Forbidden, refusedDecision.Text);
        refusedDecision.Body.GetProperty("permission").GetString().Should().Be("approve");
        decided.Status.Should().Be(HttpStatusCode.OK, decided.Text);
        decided.Body.GetProperty("decidedBy").GetString().Should().Be("manager");
        (await operatorKey.WaitForRunEndAsync(runId)).Status().Should().Be("succeeded");
    }

    [Fact]
    public async Task Key_Rotated_NewSecretWorksOldStopsAtOnce()
    {
        var (admin, _, _, _) = await flowkit.NewAdminAsync("rotate");
        var created = await admin.SendJsonAsync("/api/v1/keys", new { name = "deployer", role = "operator" });
        var id = created.Body.GetProperty("id").GetGuid();
        using var old = flowkit.CreateClient(created.Body.GetProperty("key").GetString());
        (await old.ReadAsync("/api/v1/runs")).Status.Should().Be(HttpStatusCode.OK);

        var rotated = await admin.SendJsonAsync($"/api/v1/keys/{id}/rotate", new { });

        rotated.Status.Should().Be(HttpStatusCode.OK, rotated.Text);
        var secret = rotated.Body.GetProperty("key").GetString()!;
        secret.Should().NotBe(created.Body.GetProperty("key").GetString());
        rotated.Body.GetProperty("id").GetGuid().Should().Be(id);
        rotated.Body.GetProperty("role").GetString().Should().Be("operator");
        rotated.Body.GetProperty("prefix").GetString().Should().Be(secret[..11]);
        using var fresh = flowkit.CreateClient(secret);
        (await fresh.ReadAsync("/api/v1/keys/me")).Body.GetProperty("id").GetGuid().Should().Be(id);
        (await old.ReadAsync("/api/v1/runs")).Status.Should().Be(HttpStatusCode.Unauthorized);
        var listed = (await admin.ReadAsync("/api/v1/keys")).Body.GetProperty("items").EnumerateArray().Single(k => k.GetProperty("id").GetGuid() == id);
        listed.GetProperty("rotatedAt").ValueKind.Should().Be(System.Text.Json.JsonValueKind.String);
        listed.GetRawText().Should().NotContain(secret);
    }

    [Fact]
    public async Task Key_RotatedWithGrace_OldSecretWorksUntilRevoked()
    {
        var (admin, _, _, _) = await flowkit.NewAdminAsync("grace");
        var created = await admin.SendJsonAsync("/api/v1/keys", new { name = "deployer", role = "viewer" });
        var id = created.Body.GetProperty("id").GetGuid();
        using var old = flowkit.CreateClient(created.Body.GetProperty("key").GetString());

        var rotated = await admin.SendJsonAsync($"/api/v1/keys/{id}/rotate", new { graceSeconds = 3600 });
        using var fresh = flowkit.CreateClient(rotated.Body.GetProperty("key").GetString());

        rotated.Status.Should().Be(HttpStatusCode.OK, rotated.Text);
        rotated.Body.GetProperty("previousValidUntil").GetDateTimeOffset().Should().BeAfter(DateTimeOffset.UtcNow.AddMinutes(50));
        (await old.ReadAsync("/api/v1/runs")).Status.Should().Be(HttpStatusCode.OK, "the old secret works during the grace period");
        (await fresh.ReadAsync("/api/v1/runs")).Status.Should().Be(HttpStatusCode.OK);
        (await admin.RemoveAsync($"/api/v1/keys/{id}")).Status.Should().Be(HttpStatusCode.NoContent);
        (await old.ReadAsync("/api/v1/runs")).Status.Should().Be(HttpStatusCode.Unauthorized);
        (await fresh.ReadAsync("/api/v1/runs")).Status.Should().Be(HttpStatusCode.Unauthorized);
        (await admin.SendJsonAsync($"/api/v1/keys/{id}/rotate", new { })).Status.Should().Be(HttpStatusCode.Conflict, "a revoked key is not rotated");
    }

    [Fact]
    public async Task Key_RotateBadGraceOrAnotherWorkspacesKey_Answers422Or404AndChangesNothing()
    {
        var (other, _, otherKeyId, _) = await flowkit.NewAdminAsync("rotother");
        var (admin, _, ownId, _) = await flowkit.NewAdminAsync("rotmine");

        var bad = await admin.SendJsonAsync($"/api/v1/keys/{ownId}/rotate", new { graceSeconds = 86_401 });
        var foreign = await admin.SendJsonAsync($"/api/v1/keys/{otherKeyId}/rotate", new { });

        bad.Status.Should().Be(HttpStatusCode.UnprocessableEntity, bad.Text);
        bad.Body.GetProperty("errors")[0].GetProperty("path").GetString().Should().Be("$.graceSeconds");
        foreign.Status.Should().Be(HttpStatusCode.NotFound, foreign.Text);
        (await admin.ReadAsync("/api/v1/runs")).Status.Should().Be(HttpStatusCode.OK);
        (await other.ReadAsync("/api/v1/runs")).Status.Should().Be(HttpStatusCode.OK);
    }
}
