using System.Net;
using System.Text.Json;
using Flowkit.Testing;
using Npgsql;

namespace Flowkit.IntegrationTests.Governance;

/// <summary>The audit log (issue #16, docs/security.md "Audit log"): what is recorded, how it is read, and that it cannot be changed.</summary>
[Collection(FlowkitCollection.Name)]
public sealed class AuditLogTests(FlowkitFixture flowkit)
{
    [Fact]
    public async Task Workflow_CreatedUpdatedArchived_RecordsEachWithActorAndVersionsNewestFirst()
    {
        var (admin, _, _, _) = await flowkit.NewAdminAsync("auditwf");
        var editorKey = await admin.SendJsonAsync("/api/v1/keys", new { name = "author", role = "editor" });
        var editorId = editorKey.Body.GetProperty("id").GetGuid();
        using var editor = flowkit.CreateClient(editorKey.Body.GetProperty("key").GetString());
        var name = Api.UniqueName("audited");

        await editor.CreateWorkflowAsync(ApiCalls.Definition(name, "one"));
        await editor.UpdateWorkflowAsync(name, ApiCalls.Definition(name, "one"));
        await editor.UpdateWorkflowAsync(name, ApiCalls.Definition(name, "two"));
        (await editor.RemoveAsync($"/api/v1/workflows/{name}")).Status.Should().Be(HttpStatusCode.NoContent);
        (await editor.RemoveAsync($"/api/v1/workflows/{name}")).Status.Should().Be(HttpStatusCode.NoContent);

        var entries = await admin.AuditAsync($"target=workflow/{name}");
        entries.Select(e => e.GetProperty("action").GetString()).Should().Equal("workflow.archive", "workflow.update", "workflow.create");
        entries.Should().AllSatisfy(e =>
        {
            e.GetProperty("actor").GetProperty("keyId").GetGuid().Should().Be(editorId);
            e.GetProperty("actor").GetProperty("name").GetString().Should().Be("author");
        });
        entries.Select(e => e.GetProperty("at").GetDateTimeOffset()).Should().BeInDescendingOrder();
        var update = entries[1];
        update.GetProperty("before").GetProperty("version").GetInt32().Should().Be(1);
        update.GetProperty("after").GetProperty("version").GetInt32().Should().Be(2);
        entries[2].GetProperty("before").ValueKind.Should().Be(JsonValueKind.Null);

        // Both definitions stay readable where the entry points.
        var before = await admin.ReadAsync(update.GetProperty("before").GetProperty("definition").GetString()!);
        var after = await admin.ReadAsync(update.GetProperty("after").GetProperty("definition").GetString()!);
        before.Text.Should().Contain("Says one");
        after.Text.Should().Contain("Says two");
    }

    [Fact]
    public async Task Secret_SetAndDeleted_RecordsItsNameAndNeverItsValue()
    {
        var (admin, workspace, adminId, _) = await flowkit.NewAdminAsync("auditsecret");
        const string value = "audit-secret-value-7f3a9c";

        (await admin.SendAsync(HttpMethod.Put, "/api/v1/secrets/billing_token", $$"""{"value": "{{value}}"}""")).Status.Should().Be(HttpStatusCode.NoContent);
        (await admin.RemoveAsync("/api/v1/secrets/billing_token")).Status.Should().Be(HttpStatusCode.NoContent);

        var entries = await admin.AuditAsync("action=secret.*");
        entries.Select(e => (e.GetProperty("action").GetString(), e.GetProperty("target").GetString())).Should().Equal(
            ("secret.delete", "secret/billing_token"), ("secret.put", "secret/billing_token"));
        entries.Should().AllSatisfy(e => e.GetProperty("actor").GetProperty("keyId").GetGuid().Should().Be(adminId));
        (await admin.ReadAsync("/api/v1/audit")).Text.Should().NotContain(value);
        (await flowkit.ScalarAsync<long>("SELECT count(*) FROM audit_log WHERE workspace = @w AND (coalesce(before::text, '') || coalesce(after::text, '')) LIKE @v",
            ("w", workspace), ("v", $"%{value}%"))).Should().Be(0);
    }

    [Fact]
    public async Task Keys_CreatedRotatedRevoked_AreRecordedInTheKeysWorkspace()
    {
        var (admin, _, adminId, adminName) = await flowkit.NewAdminAsync("auditkeys");
        var created = await admin.SendJsonAsync("/api/v1/keys", new { name = "ci", role = "operator" });
        var id = created.Body.GetProperty("id").GetGuid();
        (await admin.SendJsonAsync($"/api/v1/keys/{id}/rotate", new { graceSeconds = 60 })).Status.Should().Be(HttpStatusCode.OK);
        (await admin.RemoveAsync($"/api/v1/keys/{id}")).Status.Should().Be(HttpStatusCode.NoContent);

        var entries = await admin.AuditAsync("action=key.*");

        entries.Select(e => (e.GetProperty("action").GetString(), e.GetProperty("target").GetString())).Should().Equal(
            ("key.revoke", $"key/{id}"), ("key.rotate", $"key/{id}"), ("key.create", $"key/{id}"), ("key.create", $"key/{adminId}"));
        entries[0].GetProperty("actor").GetProperty("name").GetString().Should().Be(adminName);
        entries[2].GetProperty("after").GetProperty("role").GetString().Should().Be("operator");
        entries[3].GetProperty("actor").GetProperty("name").GetString().Should().Be("bootstrap", "the workspace's first key came from the bootstrap key");
        entries[3].GetProperty("actor").GetProperty("keyId").ValueKind.Should().Be(JsonValueKind.Null);
        entries[1].GetProperty("after").GetProperty("graceSeconds").GetInt32().Should().Be(60);
        string.Join(' ', entries.Select(e => e.GetRawText())).Should().NotContain(created.Body.GetProperty("key").GetString());
    }

    [Fact]
    public async Task RunControlsAndApproval_AreRecordedWithTheKeyThatActed()
    {
        var (admin, _, _, _) = await flowkit.NewAdminAsync("auditruns");
        var operatorKey = await admin.SendJsonAsync("/api/v1/keys", new { name = "night-shift", role = "operator" });
        var operatorId = operatorKey.Body.GetProperty("id").GetGuid();
        using var operatorClient = flowkit.CreateClient(operatorKey.Body.GetProperty("key").GetString());
        using var approver = flowkit.CreateClient(await admin.CreateKeyWithRoleAsync("manager", "approver"));
        var name = Api.UniqueName("gated");
        await admin.CreateWorkflowAsync(ApiCalls.Definition(name, "one", approval: true));

        var runId = await operatorClient.StartRunAsync(name);
        await operatorClient.WaitForStepAsync(runId, "ask", "waiting");
        (await operatorClient.SendJsonAsync($"/api/v1/runs/{runId}/pause", new { reason = "checking" })).Status.Should().Be(HttpStatusCode.Accepted);
        await operatorClient.WaitForStatusAsync(runId, "paused");
        (await operatorClient.SendJsonAsync($"/api/v1/runs/{runId}/resume", new { })).Status.Should().Be(HttpStatusCode.Accepted);
        await operatorClient.WaitForStatusAsync(runId, "waiting");
        (await approver.SendJsonAsync($"/api/v1/runs/{runId}/approvals/ask", new { decision = "reject", comment = "not now" })).Status.Should().Be(HttpStatusCode.OK);
        await operatorClient.WaitForRunEndAsync(runId);
        var rerun = await operatorClient.SendJsonAsync($"/api/v1/runs/{runId}/rerun", new { });
        rerun.Status.Should().Be(HttpStatusCode.Accepted, rerun.Text);
        var rerunId = rerun.Body.GetProperty("runId").GetGuid();
        await operatorClient.WaitForStepAsync(rerunId, "ask", "waiting");
        (await operatorClient.SendJsonAsync($"/api/v1/runs/{rerunId}/cancel", new { reason = "done" })).Status.Should().Be(HttpStatusCode.Accepted);

        var entries = await admin.AuditAsync("action=run.*");
        var decisions = await admin.AuditAsync("action=approval.decide");

        entries.Select(e => (e.GetProperty("action").GetString(), e.GetProperty("target").GetString())).Should().Equal(
            ("run.cancel", $"run/{rerunId}"), ("run.rerun", $"run/{rerunId}"), ("run.resume", $"run/{runId}"), ("run.pause", $"run/{runId}"), ("run.start", $"run/{runId}"));
        entries.Should().AllSatisfy(e => e.GetProperty("actor").GetProperty("keyId").GetGuid().Should().Be(operatorId));
        entries[0].GetProperty("after").GetProperty("reason").GetString().Should().Be("done");
        entries[1].GetProperty("after").GetProperty("rerunOf").GetGuid().Should().Be(runId);
        entries[3].GetProperty("before").GetProperty("status").GetString().Should().Be("waiting");
        entries[4].GetProperty("after").GetProperty("workflow").GetString().Should().Be(name);
        decisions.Should().ContainSingle();
        decisions[0].GetProperty("target").GetString().Should().Be($"run/{runId}/approval/ask");
        decisions[0].GetProperty("actor").GetProperty("name").GetString().Should().Be("manager");
        decisions[0].GetProperty("after").GetProperty("decision").GetString().Should().Be("rejected");
        decisions[0].GetProperty("after").GetProperty("comment").GetString().Should().Be("not now");
    }

    [Fact]
    public async Task Subscription_PutChangedAndDeleted_RecordsBeforeAndAfterDocuments()
    {
        var (admin, _, _, _) = await flowkit.NewAdminAsync("auditsub");
        const string first = """{"events": ["RunFailed"], "destinations": [{"type": "webhook", "url": "http://127.0.0.1:9/a"}]}""";
        const string second = """{"events": ["RunSucceeded"], "destinations": [{"type": "webhook", "url": "http://127.0.0.1:9/b"}]}""";

        (await admin.SendAsync(HttpMethod.Put, "/api/v1/subscriptions/alerts", first)).Status.Should().Be(HttpStatusCode.OK);
        (await admin.SendAsync(HttpMethod.Put, "/api/v1/subscriptions/alerts", first)).Status.Should().Be(HttpStatusCode.OK);
        (await admin.SendAsync(HttpMethod.Put, "/api/v1/subscriptions/alerts", second)).Status.Should().Be(HttpStatusCode.OK);
        (await admin.RemoveAsync("/api/v1/subscriptions/alerts")).Status.Should().Be(HttpStatusCode.NoContent);

        var entries = await admin.AuditAsync("target=subscription/alerts");

        entries.Select(e => e.GetProperty("action").GetString()).Should().Equal("subscription.delete", "subscription.put", "subscription.put");
        entries[1].GetProperty("before").GetProperty("version").GetInt32().Should().Be(1);
        entries[1].GetProperty("before").GetProperty("document").GetRawText().Should().Contain("RunFailed");
        entries[1].GetProperty("after").GetProperty("document").GetRawText().Should().Contain("RunSucceeded");
        entries[0].GetProperty("after").ValueKind.Should().Be(JsonValueKind.Null);
        entries[0].GetProperty("before").GetProperty("version").GetInt32().Should().Be(2);
    }

    [Fact]
    public async Task Connector_PutChangedAndDeleted_RecordsBeforeAndAfterDocuments()
    {
        var (admin, _, _, _) = await flowkit.NewAdminAsync("auditconn");
        const string first = """{"baseUrl": "http://127.0.0.1:9", "actions": {"ping": {"method": "GET", "path": "/ping", "params": {"type": "object"}}}}""";
        const string second = """{"baseUrl": "http://127.0.0.1:9", "actions": {"pong": {"method": "GET", "path": "/pong", "params": {"type": "object"}}}}""";

        (await admin.SendAsync(HttpMethod.Put, "/api/v1/connectors/tracker", first)).Status.Should().Be(HttpStatusCode.OK);
        (await admin.SendAsync(HttpMethod.Put, "/api/v1/connectors/tracker", first)).Status.Should().Be(HttpStatusCode.OK);
        (await admin.SendAsync(HttpMethod.Put, "/api/v1/connectors/tracker", second)).Status.Should().Be(HttpStatusCode.OK);
        (await admin.RemoveAsync("/api/v1/connectors/tracker")).Status.Should().Be(HttpStatusCode.NoContent);

        var entries = await admin.AuditAsync("target=connector/tracker");

        entries.Select(e => e.GetProperty("action").GetString()).Should().Equal("connector.delete", "connector.put", "connector.put");
        entries[2].GetProperty("before").ValueKind.Should().Be(JsonValueKind.Null);
        entries[2].GetProperty("after").GetProperty("version").GetInt32().Should().Be(1);
        entries[1].GetProperty("before").GetProperty("document").GetRawText().Should().Contain("/ping");
        entries[1].GetProperty("after").GetProperty("document").GetRawText().Should().Contain("/pong");
        entries[0].GetProperty("before").GetProperty("version").GetInt32().Should().Be(2);
    }

    [Fact]
    public async Task Audit_FiltersAndCursor_PageEveryMatchingEntryOnceNewestFirst()
    {
        var (admin, _, adminId, adminName) = await flowkit.NewAdminAsync("auditpage");
        using var editor = flowkit.CreateClient(await admin.CreateKeyWithRoleAsync("author", "editor"));
        var start = DateTimeOffset.UtcNow.AddSeconds(-1);
        for (var i = 0; i < 7; i++)
        {
            (await editor.SendAsync(HttpMethod.Put, $"/api/v1/secrets/s{i}", """{"value": "some-value"}""")).Status.Should().Be(HttpStatusCode.NoContent);
        }

        var pages = await admin.AllPagesAsync("/api/v1/audit?actor=author&action=secret.put", 3);
        var byId = await admin.AuditAsync($"actor={adminId}");
        var byName = await admin.AuditAsync($"actor={adminName}");
        var byTarget = await admin.AuditAsync("target=secret/s3");
        var byPrefix = await admin.AuditAsync("target=secret/*");
        var later = await admin.AuditAsync($"since={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddMinutes(1).ToString("O"))}");
        var window = await admin.AuditAsync($"since={Uri.EscapeDataString(start.ToString("O"))}&until={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddMinutes(1).ToString("O"))}&action=secret.put");
        var bad = await admin.ReadAsync("/api/v1/audit?since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z");

        pages.Select(p => p.Length).Should().Equal(3, 3, 1);
        pages.SelectMany(p => p).Select(e => e.GetProperty("target").GetString()).Should().Equal(Enumerable.Range(0, 7).Reverse().Select(i => $"secret/s{i}"));
        byId.Select(e => e.GetProperty("action").GetString()).Should().Equal("key.create");
        byName.Should().ContainSingle();
        byTarget.Should().ContainSingle();
        byPrefix.Should().HaveCount(7);
        later.Should().BeEmpty();
        window.Should().HaveCount(7);
        bad.Status.Should().Be(HttpStatusCode.UnprocessableEntity);
        bad.Body.GetProperty("errors")[0].GetProperty("path").GetString().Should().Be("query.until");
    }

    [Theory]
    [InlineData("UPDATE audit_log SET actor_name = 'someone-else' WHERE id = @id")]
    [InlineData("DELETE FROM audit_log WHERE id = @id")]
    [InlineData("TRUNCATE audit_log")]
    public async Task AuditLog_ChangeOrRemoveARow_IsRefusedByTheDatabase(string sql)
    {
        var (admin, _, _, _) = await flowkit.NewAdminAsync("appendonly");
        var entry = (await admin.AuditAsync()).Single();
        var id = entry.GetProperty("id").GetGuid();

        await using var connection = new NpgsqlConnection(flowkit.PostgresConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("id", id);
        var refused = await FluentActions.Awaiting(() => command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken)).Should().ThrowAsync<PostgresException>();

        refused.Which.SqlState.Should().Be("FKA01");
        var after = (await admin.AuditAsync()).Single();
        after.GetProperty("id").GetGuid().Should().Be(id);
        after.GetProperty("actor").GetProperty("name").GetString().Should().Be("bootstrap");
    }

    [Fact]
    public async Task Change_WhenItsAuditEntryCannotBeWritten_IsNotStored()
    {
        // The audit insert is made to fail for this workspace only: the change must fail with it (one transaction).
        var (admin, workspace, _, _) = await flowkit.NewAdminAsync("atomic");
        var existing = Api.UniqueName("existing");
        await admin.CreateWorkflowAsync(ApiCalls.Definition(existing, "one"));
        var trigger = $"audit_fails_{Guid.NewGuid():N}";
        await ExecuteAsync($"""
            CREATE FUNCTION {trigger}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.workspace = '{workspace}' THEN RAISE EXCEPTION 'audit insert refused for the test'; END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER {trigger} BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION {trigger}();
            """);
        try
        {
            var name = Api.UniqueName("unrecorded");
            var created = await admin.PostYamlAsync("/api/v1/workflows", ApiCalls.Definition(name, "one"));
            var started = await admin.SendJsonAsync($"/api/v1/workflows/{existing}/runs", new { });
            var secret = await admin.SendAsync(HttpMethod.Put, "/api/v1/secrets/unrecorded", """{"value": "some-value"}""");

            created.Status.Should().Be(HttpStatusCode.InternalServerError, created.Text);
            started.Status.Should().Be(HttpStatusCode.InternalServerError, started.Text);
            secret.Status.Should().Be(HttpStatusCode.InternalServerError, secret.Text);
            (await flowkit.ScalarAsync<long>("SELECT count(*) FROM workflows WHERE workspace = @w AND name = @n", ("w", workspace), ("n", name))).Should().Be(0);
            (await flowkit.ScalarAsync<long>("SELECT count(*) FROM runs WHERE workspace = @w", ("w", workspace))).Should().Be(0);
            (await flowkit.ScalarAsync<long>("SELECT count(*) FROM secrets WHERE workspace = @w", ("w", workspace))).Should().Be(0);
        }
        finally
        {
            await ExecuteAsync($"DROP TRIGGER {trigger} ON audit_log; DROP FUNCTION {trigger}();");
        }
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(flowkit.PostgresConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
    }
}
