using System.Net;
using System.Text.Json;
using Flowkit.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Flowkit.IntegrationTests.Connectors;

/// <summary>
/// Issue #14, connectors: documents by API with versions, checks of connector steps when a workflow is saved, and
/// connector steps run by the workers against a fake API on loopback, with credentials from secrets.
/// </summary>
[Collection(FlowkitCollection.Name)]
public sealed class ConnectorTests(FlowkitFixture flowkit)
{
    private const string Tiny = """
        baseUrl: http://127.0.0.1:9/api
        actions:
          ping:
            method: GET
            path: /ping
            params: { type: object, properties: { n: { type: integer } } }
        """;

    [Fact]
    public async Task PutConnector_IdenticalThenChanged_StoresOneVersionPerChange()
    {
        var name = Api.UniqueName("tiny");
        var first = await flowkit.Client.PutYamlAsync($"/api/v1/connectors/{name}", Tiny);
        var again = await flowkit.Client.PutYamlAsync($"/api/v1/connectors/{name}", Tiny.Replace("  ping:", "  \"ping\":", StringComparison.Ordinal));
        var changed = await flowkit.Client.PutYamlAsync($"/api/v1/connectors/{name}", Tiny.Replace("/ping", "/pong", StringComparison.Ordinal));

        first.Status.Should().Be(HttpStatusCode.OK, first.Text);
        first.Body.GetProperty("version").GetInt32().Should().Be(1);
        first.Body.GetProperty("created").GetBoolean().Should().BeTrue();
        again.Body.GetProperty("changed").GetBoolean().Should().BeFalse(again.Text);
        again.Body.GetProperty("version").GetInt32().Should().Be(1);
        changed.Body.GetProperty("version").GetInt32().Should().Be(2, changed.Text);
        var latest = await flowkit.Client.ReadAsync($"/api/v1/connectors/{name}");
        latest.Body.GetProperty("document").GetProperty("actions").GetProperty("ping").GetProperty("path").GetString().Should().Be("/pong");
        var old = await flowkit.Client.ReadAsync($"/api/v1/connectors/{name}?version=1");
        old.Body.GetProperty("document").GetProperty("actions").GetProperty("ping").GetProperty("path").GetString().Should().Be("/ping");
        old.Body.GetProperty("latestVersion").GetInt32().Should().Be(2);
        var list = await flowkit.Client.ReadAsync("/api/v1/connectors?limit=500");
        list.Body.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("name").GetString()).Should().Contain(name);

        (await flowkit.Client.RemoveAsync($"/api/v1/connectors/{name}")).Status.Should().Be(HttpStatusCode.NoContent);
        (await flowkit.Client.ReadAsync($"/api/v1/connectors/{name}")).Status.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task PutConnector_InvalidDocument_ListsEveryProblemWithItsPathAndStoresNothing()
    {
        var name = Api.UniqueName("bad");
        var answer = await flowkit.Client.PutYamlAsync($"/api/v1/connectors/{name}", """
            baseUrl: not-an-address
            auth: { type: kerberos }
            actions:
              create:
                method: POST
                path: "/items/{{ params.id }}"
                params:
                  type: object
                  properties:
                    title: { type: strin }
            """);

        answer.Status.Should().Be(HttpStatusCode.UnprocessableEntity, answer.Text);
        answer.Response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        var paths = answer.Body.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("path").GetString()).ToArray();
        paths.Should().Contain(["$.baseUrl", "$.auth.type", "$.actions.create.path", "$.actions.create.params.properties.title.type"]);
        (await flowkit.Client.ReadAsync($"/api/v1/connectors/{name}")).Status.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task SaveWorkflow_ConnectorStepsWithBadParams_ListsEveryProblemWithItsPath()
    {
        var (client, _) = await flowkit.NewWorkspaceClientAsync("conn-check");
        (await client.PutYamlAsync("/api/v1/connectors/github", Example("github.yaml", "http://127.0.0.1:9"))).Status.Should().Be(HttpStatusCode.OK);
        var name = Api.UniqueName("checked");
        var answer = await client.PostYamlAsync("/api/v1/workflows", $$$"""
            name: {{{name}}}
            steps:
              - id: a
                type: connector
                with: { connector: githib, action: create_issue }
              - id: b
                type: connector
                with: { connector: github, action: open_issue }
              - id: c
                type: connector
                with: { connector: github, action: create_issue, params: { owner: acme, repo: 5, labels: "bug" } }
              - id: d
                type: connector
                with: { connector: github, action: list_issues, params: { owner: acme, repo: x, state: opne, per_page: "{{ input.body.n }}", colour: red } }
            """);

        answer.Status.Should().Be(HttpStatusCode.UnprocessableEntity, answer.Text);
        var errors = answer.Body.GetProperty("errors").EnumerateArray()
            .ToDictionary(e => e.GetProperty("path").GetString()!, e => e.GetProperty("message").GetString()!);
        errors.Keys.Should().BeEquivalentTo(
            "$.steps[0].with.connector", "$.steps[1].with.action", "$.steps[2].with.params.title", "$.steps[2].with.params.repo",
            "$.steps[2].with.params.labels", "$.steps[3].with.params.state", "$.steps[3].with.params.colour");
        errors["$.steps[0].with.connector"].Should().Contain("github");
        errors["$.steps[2].with.params.title"].Should().Contain("needs the parameter 'title'");
        errors["$.steps[2].with.params.repo"].Should().Contain("must be text");
        errors["$.steps[3].with.params.state"].Should().Contain("open, closed, all");
    }

    [Fact]
    public async Task ConnectorStep_GithubExample_RunsWithTheSecretAndNeverShowsIt()
    {
        await using var api = await ConnectorTargets.StartAsync();
        var (client, _) = await flowkit.NewWorkspaceClientAsync("conn-gh");
        var secret = $"ghp_{Guid.NewGuid():N}";
        api.Secret = secret;
        (await client.SendAsync(HttpMethod.Put, "/api/v1/secrets/github_token", JsonSerializer.Serialize(new { value = secret }))).Status.Should().Be(HttpStatusCode.NoContent);
        (await client.PutYamlAsync("/api/v1/connectors/github", Example("github.yaml", api.Url("")))).Status.Should().Be(HttpStatusCode.OK);
        using var logs = new CapturedLogs();
        flowkit.Host.Services.GetRequiredService<Microsoft.Extensions.Logging.ILoggerFactory>().AddProvider(logs);
        var name = Api.UniqueName("gh");
        var created = await client.PostYamlAsync("/api/v1/workflows", $$$"""
            name: {{{name}}}
            steps:
              - id: open
                type: connector
                with: { connector: github, action: create_issue, params: { owner: acme, repo: shop, title: "Order {{ input.order }} failed", labels: [bug] } }
              - id: comment
                type: connector
                with: { connector: github, action: add_comment, params: { owner: acme, repo: shop, issue_number: "{{ steps.open.output.number }}", body: "On it" } }
              - id: list
                type: connector
                with: { connector: github, action: list_issues, params: { owner: acme, repo: shop } }
            """);
        created.Status.Should().Be(HttpStatusCode.Created, created.Text);
        created.Body.GetProperty("definition").GetProperty("steps")[0].GetProperty("with").GetProperty("resolved").GetProperty("version").GetInt32()
            .Should().Be(1, "the step is pinned to the connector version it was saved with");

        var runId = await client.StartRunAsync(name, new { order = 1001 });
        var run = await client.WaitForRunEndAsync(runId);

        run.Status().Should().Be("succeeded", run.ToString());
        var open = Api.Step(run, "open").GetProperty("output");
        open.GetProperty("number").GetInt32().Should().Be(42);
        Api.Step(run, "comment").GetProperty("output").GetProperty("id").GetInt32().Should().Be(1042);
        Api.Step(run, "list").GetProperty("output")[0].GetProperty("state").GetString().Should().Be("open", "the schema's default fills state");
        var post = api.Received.First(r => r.Method == "POST" && r.Path == "/repos/acme/shop/issues");
        JsonDocument.Parse(post.Body).RootElement.GetProperty("title").GetString().Should().Be("Order 1001 failed");
        post.Headers["Idempotency-Key"].Should().Be($"{runId}:open");
        post.Headers["X-GitHub-Api-Version"].Should().Be("2022-11-28");
        api.Received.Should().Contain(r => r.Path == "/repos/acme/shop/issues/42/comments");
        api.Received.First(r => r.Method == "GET").Query.Should().Contain("state=open").And.Contain("per_page=30");

        var timeline = string.Join('\n', (await client.GetEventsAsync(runId)).Select(e => e.ToString()));
        run.ToString().Should().NotContain(secret);
        timeline.Should().NotContain(secret);
        logs.All.Should().NotContain(secret);
    }

    [Fact]
    public async Task ConnectorStep_EachAuthKind_SendsItsCredentialFromASecret()
    {
        await using var api = await ConnectorTargets.StartAsync();
        var (client, _) = await flowkit.NewWorkspaceClientAsync("conn-auth");
        var secret = $"key-{Guid.NewGuid():N}";
        api.Secret = secret;
        (await client.SendAsync(HttpMethod.Put, "/api/v1/secrets/api_key", JsonSerializer.Serialize(new { value = secret }))).Status.Should().Be(HttpStatusCode.NoContent);
        var kinds = new Dictionary<string, string>
        {
            ["header"] = "{ type: header, name: X-Api-Key, value: \"{{ secrets.api_key }}\" }",
            ["basic"] = "{ type: basic, username: robot, password: \"{{ secrets.api_key }}\" }",
            ["query"] = "{ type: query, name: api_key, value: \"{{ secrets.api_key }}\" }",
            ["oauth"] = $"{{ type: oauth2, tokenUrl: \"{api.Url("/oauth/token")}\", clientId: flowkit-client, clientSecret: \"{{{{ secrets.api_key }}}}\", scope: \"read write\" }}",
        };
        foreach (var (kind, auth) in kinds)
        {
            var put = await client.PutYamlAsync($"/api/v1/connectors/auth-{kind}", $$"""
                baseUrl: {{api.Url("")}}
                auth: {{auth}}
                actions:
                  call: { method: GET, path: /auth/{{kind}}, output: response.body.ok }
                """);
            put.Status.Should().Be(HttpStatusCode.OK, put.Text);
        }

        var name = Api.UniqueName("auth");
        var steps = string.Join('\n', kinds.Keys.Select(k => $"  - {{ id: {k}, type: connector, with: {{ connector: auth-{k}, action: call }} }}"));
        (await client.PostYamlAsync("/api/v1/workflows", $"name: {name}\nsteps:\n{steps}\n  - {{ id: oauth_again, type: connector, with: {{ connector: auth-oauth, action: call }} }}\n"))
            .Status.Should().Be(HttpStatusCode.Created);

        var run = await client.WaitForRunEndAsync(await client.StartRunAsync(name));

        run.Status().Should().Be("succeeded", run.ToString());
        foreach (var kind in kinds.Keys)
        {
            Api.Step(run, kind).GetProperty("output").GetString().Should().Be(kind);
        }

        api.TokensIssued.Should().Be(1, "the second OAuth step uses the cached token");
        api.Received.First(r => r.Path == "/oauth/token").Body.Should().Contain("scope=read%20write");
        run.ToString().Should().NotContain(secret);
    }

    [Fact]
    public async Task ConnectorStep_OAuthTokenRevoked_FetchesANewTokenOnceAndSucceeds()
    {
        await using var api = await ConnectorTargets.StartAsync();
        var (client, _) = await flowkit.NewWorkspaceClientAsync("conn-oauth");
        api.Secret = $"client-{Guid.NewGuid():N}";
        (await client.SendAsync(HttpMethod.Put, "/api/v1/secrets/client_secret", JsonSerializer.Serialize(new { value = api.Secret }))).Status.Should().Be(HttpStatusCode.NoContent);
        (await client.PutYamlAsync("/api/v1/connectors/guarded", $$$"""
            baseUrl: {{{api.Url("")}}}
            auth: { type: oauth2, tokenUrl: "{{{api.Url("/oauth/token")}}}", clientId: flowkit-client, clientSecret: "{{ secrets.client_secret }}" }
            actions:
              call: { method: GET, path: /auth/oauth }
            """)).Status.Should().Be(HttpStatusCode.OK);
        var name = Api.UniqueName("oauth");
        (await client.PostYamlAsync("/api/v1/workflows", $"name: {name}\nsteps:\n  - {{ id: call, type: connector, with: {{ connector: guarded, action: call }} }}\n"))
            .Status.Should().Be(HttpStatusCode.Created);
        (await client.WaitForRunEndAsync(await client.StartRunAsync(name))).Status().Should().Be("succeeded");
        var first = api.ValidToken;

        api.ValidToken = "revoked";
        var run = await client.WaitForRunEndAsync(await client.StartRunAsync(name));

        run.Status().Should().Be("succeeded", run.ToString());
        api.TokensIssued.Should().Be(2, "the 401 made the worker fetch one new token");
        api.ValidToken.Should().NotBe(first);
        api.Received.Count(r => r.Path == "/auth/oauth" && r.Headers["Authorization"] == $"Bearer {first}").Should().Be(2, "the cached token was tried first");
        run.ToString().Should().NotContain(api.ValidToken!);
    }

    [Fact]
    public async Task ConnectorStep_ParamBreaksSchemaAtRunTime_FailsWithAPlainError()
    {
        await using var api = await ConnectorTargets.StartAsync();
        var (client, _) = await flowkit.NewWorkspaceClientAsync("conn-runtime");
        (await client.SendAsync(HttpMethod.Put, "/api/v1/secrets/github_token", JsonSerializer.Serialize(new { value = "unused-token" }))).Status.Should().Be(HttpStatusCode.NoContent);
        (await client.PutYamlAsync("/api/v1/connectors/github", Example("github.yaml", api.Url("")))).Status.Should().Be(HttpStatusCode.OK);
        var name = Api.UniqueName("late");
        (await client.PostYamlAsync("/api/v1/workflows", $$$"""
            name: {{{name}}}
            steps:
              - id: list
                type: connector
                retry: { attempts: 3 }
                with: { connector: github, action: list_issues, params: { owner: acme, repo: shop, per_page: "{{ input.size }}" } }
            """)).Status.Should().Be(HttpStatusCode.Created);

        var run = await client.WaitForRunEndAsync(await client.StartRunAsync(name, new { size = "lots" }));

        run.Status().Should().Be("failed");
        var step = Api.Step(run, "list");
        step.GetProperty("error").GetString().Should().Contain("params.per_page").And.Contain("must be a whole number");
        step.GetProperty("attempts").GetInt32().Should().Be(1, "a schema violation is not retried");
        api.Received.Should().BeEmpty();
    }

    [Fact]
    public async Task Examples_NotionAndOpenAi_RunAgainstTheirFakes()
    {
        await using var api = await ConnectorTargets.StartAsync();
        var (client, _) = await flowkit.NewWorkspaceClientAsync("conn-examples");
        api.Secret = $"secret-{Guid.NewGuid():N}";
        foreach (var secret in new[] { "notion_token", "openai_api_key", "github_token" })
        {
            (await client.SendAsync(HttpMethod.Put, $"/api/v1/secrets/{secret}", JsonSerializer.Serialize(new { value = api.Secret }))).Status.Should().Be(HttpStatusCode.NoContent);
        }

        foreach (var connector in new[] { "github", "notion", "openai" })
        {
            var put = await client.PutYamlAsync($"/api/v1/connectors/{connector}", Example($"{connector}.yaml", api.Url(connector == "github" ? "" : "/v1")));
            put.Status.Should().Be(HttpStatusCode.OK, put.Text);
        }

        var workflow = await client.PostYamlAsync("/api/v1/workflows", await File.ReadAllTextAsync(Path.Combine(ServiceEndpoints.RepositoryRoot(), "examples", "connectors", "support-ticket-triage.yaml"), TestContext.Current.CancellationToken));
        workflow.Status.Should().Be(HttpStatusCode.Created, workflow.Text);
        var name = Api.UniqueName("notion-ai");
        (await client.PostYamlAsync("/api/v1/workflows", $$$"""
            name: {{{name}}}
            steps:
              - id: rows
                type: connector
                with: { connector: notion, action: query_database, params: { database_id: db-1, filter: { property: Status, select: { equals: Open } } } }
              - id: page
                type: connector
                with: { connector: notion, action: create_page, params: { parent: { database_id: db-1 }, properties: { Name: { title: [ { text: { content: Hello } } ] } } } }
            """)).Status.Should().Be(HttpStatusCode.Created);

        var notion = await client.WaitForRunEndAsync(await client.StartRunAsync(name));
        var triage = await client.WaitForRunEndAsync(await client.StartRunAsync("support-ticket-triage", new { body = new { text = "The checkout page is blank", email = "ann@example.com" } }));

        notion.Status().Should().Be("succeeded", notion.ToString());
        Api.Step(notion, "rows").GetProperty("output")[0].GetProperty("database").GetString().Should().Be("db-1");
        Api.Step(notion, "page").GetProperty("output").GetProperty("id").GetString().Should().Be("page-1");
        triage.Status().Should().Be("succeeded", triage.ToString());
        Api.Step(triage, "summarise").GetProperty("output").GetString().Should().Be("Summary: The checkout page is blank");
        var chat = JsonDocument.Parse(api.Received.First(r => r.Path == "/v1/chat/completions").Body).RootElement;
        chat.GetProperty("model").GetString().Should().Be("gpt-4o-mini", "the schema's default fills the model");
        var issue = JsonDocument.Parse(api.Received.First(r => r.Path == "/repos/acme/support/issues").Body).RootElement;
        issue.GetProperty("title").GetString().Should().Be("Summary: The checkout page is blank");
        Api.Step(triage, "acknowledge").Status().Should().Be("succeeded");
    }

    /// <summary>An example connector from examples/connectors with its baseUrl pointed at <paramref name="baseUrl"/> (a loopback fake).</summary>
    internal static string Example(string file, string baseUrl)
    {
        var text = File.ReadAllText(Path.Combine(ServiceEndpoints.RepositoryRoot(), "examples", "connectors", file));
        var lines = text.Split('\n').Select(l => l.StartsWith("baseUrl:", StringComparison.Ordinal) ? $"baseUrl: {baseUrl.TrimEnd('/')}" : l);
        return string.Join('\n', lines);
    }
}
