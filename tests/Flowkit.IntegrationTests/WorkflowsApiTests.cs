using System.Net;
using System.Text.Json;
using Flowkit.Api.Problems;
using Flowkit.Testing;

namespace Flowkit.IntegrationTests;

/// <summary>The workflow rows of CONTRACT.md section 2 (issue #4): create, update, versions, archive, lists.</summary>
[Collection(FlowkitCollection.Name)]
public sealed class WorkflowsApiTests(FlowkitFixture flowkit)
{
    private HttpClient Client => flowkit.Client;

    private async Task<string> CreateAsync(string prefix, string label = "one", bool approval = false)
    {
        var name = Api.UniqueName(prefix);
        var answer = await Client.PostYamlAsync("/api/v1/workflows", ApiCalls.Definition(name, label, approval));
        answer.Status.Should().Be(HttpStatusCode.Created, answer.Text);
        return name;
    }

    [Fact]
    public async Task Create_ValidDefinition_StoresVersionOneAndAnswersItsLocation()
    {
        var name = Api.UniqueName("create");

        var answer = await Client.PostYamlAsync("/api/v1/workflows", ApiCalls.Definition(name, "one"));

        answer.Status.Should().Be(HttpStatusCode.Created, answer.Text);
        answer.Response.Headers.Location!.ToString().Should().Be($"/api/v1/workflows/{name}");
        answer.Body.GetProperty("name").GetString().Should().Be(name);
        answer.Body.GetProperty("version").GetInt32().Should().Be(1);
        answer.Body.GetProperty("archived").GetBoolean().Should().BeFalse();
        answer.Body.GetProperty("definition").GetProperty("steps").GetArrayLength().Should().Be(2);
        var read = await Client.ReadAsync($"/api/v1/workflows/{name}");
        read.Status.Should().Be(HttpStatusCode.OK, read.Text);
        read.Body.GetProperty("description").GetString().Should().Be("Says one");
    }

    [Fact]
    public async Task Create_NameTaken_Answers409AndStoresNothing()
    {
        var name = await CreateAsync("taken");

        var answer = await Client.PostYamlAsync("/api/v1/workflows", ApiCalls.Definition(name, "two"));

        answer.Status.Should().Be(HttpStatusCode.Conflict, answer.Text);
        answer.ProblemType.Should().Be(ProblemTypes.Conflict);
        (await Client.ReadAsync($"/api/v1/workflows/{name}")).Body.GetProperty("description").GetString().Should().Be("Says one");
    }

    [Fact]
    public async Task Create_InvalidDefinition_Answers422WithEveryProblemAndStoresNothing()
    {
        var name = Api.UniqueName("invalid");
        var answer = await Client.PostYamlAsync("/api/v1/workflows", $$"""
            name: {{name}}
            steps:
              - { id: a, type: teleport }
              - { id: b, type: transform, needs: [nowhere], with: { x: 1 } }
            """);

        answer.Status.Should().Be(HttpStatusCode.UnprocessableEntity, answer.Text);
        answer.Response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        answer.ProblemType.Should().Be(ProblemTypes.Validation);
        var paths = answer.Body.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("path").GetString()).ToArray();
        paths.Should().Contain(["$.steps[0].type", "$.steps[1].needs[0]"]);
        (await Client.ReadAsync($"/api/v1/workflows/{name}")).Status.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Create_UnsupportedContentType_Answers415()
    {
        var answer = await Client.SendAsync(HttpMethod.Post, "/api/v1/workflows", ApiCalls.Definition(Api.UniqueName("media"), "one"), "text/plain");

        answer.Status.Should().Be(HttpStatusCode.UnsupportedMediaType, answer.Text);
        answer.ProblemType.Should().Be(ProblemTypes.UnsupportedMediaType);
    }

    [Fact]
    public async Task Update_ChangedDefinition_StoresNextVersionAndKeepsTheOldOne()
    {
        var name = await CreateAsync("update");

        var answer = await Client.UpdateWorkflowAsync(name, ApiCalls.Definition(name, "two"));

        answer.Body.GetProperty("version").GetInt32().Should().Be(2);
        answer.Body.GetProperty("changed").GetBoolean().Should().BeTrue();
        var latest = await Client.ReadAsync($"/api/v1/workflows/{name}");
        latest.Body.GetProperty("version").GetInt32().Should().Be(2);
        latest.Body.GetProperty("description").GetString().Should().Be("Says two");
        var first = await Client.ReadAsync($"/api/v1/workflows/{name}/versions/1");
        first.Status.Should().Be(HttpStatusCode.OK, first.Text);
        first.Body.GetProperty("definition").GetProperty("description").GetString().Should().Be("Says one");
        first.Body.GetProperty("latest").GetBoolean().Should().BeFalse();
    }

    [Fact]
    public async Task Update_IdenticalDefinitionInAnotherLayout_StoresNothing()
    {
        var name = await CreateAsync("same");
        // The same definition as JSON, keys in another order: the canonical definition is equal.
        var json = $$$"""
            {"steps": [{"with": {"n": 1}, "type": "transform", "id": "first"}, {"type": "transform", "id": "result", "with": {"label": "one"}}],
             "description": "Says one", "name": "{{{name}}}"}
            """;

        var answer = await Client.SendAsync(HttpMethod.Put, $"/api/v1/workflows/{name}", json);

        answer.Status.Should().Be(HttpStatusCode.OK, answer.Text);
        answer.Body.GetProperty("version").GetInt32().Should().Be(1);
        answer.Body.GetProperty("changed").GetBoolean().Should().BeFalse();
        (await Client.ReadAsync($"/api/v1/workflows/{name}/versions")).Body.GetProperty("items").GetArrayLength().Should().Be(1);
    }

    [Fact]
    public async Task Update_NameDiffersFromAddress_Answers422NamingTheName()
    {
        var name = await CreateAsync("rename");

        var answer = await Client.PutYamlAsync($"/api/v1/workflows/{name}", ApiCalls.Definition(name + "-x", "two"));

        answer.Status.Should().Be(HttpStatusCode.UnprocessableEntity, answer.Text);
        answer.Body.GetProperty("errors")[0].GetProperty("path").GetString().Should().Be("$.name");
        (await Client.ReadAsync($"/api/v1/workflows/{name}")).Body.GetProperty("version").GetInt32().Should().Be(1);
    }

    [Fact]
    public async Task Update_InvalidDefinition_Answers422AndStoresNothing()
    {
        var name = await CreateAsync("badupdate");

        var answer = await Client.PutYamlAsync($"/api/v1/workflows/{name}", $"name: {name}\nsteps:\n  - {{ id: a, type: delay, for: soon }}\n");

        answer.Status.Should().Be(HttpStatusCode.UnprocessableEntity, answer.Text);
        answer.Body.GetProperty("errors").GetArrayLength().Should().BeGreaterThan(0);
        (await Client.ReadAsync($"/api/v1/workflows/{name}/versions")).Body.GetProperty("items").GetArrayLength().Should().Be(1);
    }

    [Fact]
    public async Task Update_UnknownWorkflow_Answers404()
    {
        var name = Api.UniqueName("ghost");

        var answer = await Client.PutYamlAsync($"/api/v1/workflows/{name}", ApiCalls.Definition(name, "one"));

        answer.Status.Should().Be(HttpStatusCode.NotFound, answer.Text);
        answer.ProblemType.Should().Be(ProblemTypes.NotFound);
    }

    [Fact]
    public async Task Update_ConcurrentDifferentDefinitions_EachGetsItsOwnVersion()
    {
        const int writers = 8;
        var name = await CreateAsync("race");

        var answers = await Task.WhenAll(Enumerable.Range(0, writers)
            .Select(i => Client.PutYamlAsync($"/api/v1/workflows/{name}", ApiCalls.Definition(name, $"writer-{i}"))));

        answers.Should().AllSatisfy(a => a.Status.Should().Be(HttpStatusCode.OK, a.Text));
        answers.Select(a => a.Body.GetProperty("version").GetInt32()).Should().BeEquivalentTo(Enumerable.Range(2, writers));
        var versions = await Client.AllPagesAsync($"/api/v1/workflows/{name}/versions", 500);
        versions.SelectMany(p => p).Select(v => v.GetProperty("version").GetInt32()).Should().Equal(Enumerable.Range(1, writers + 1).Reverse());
    }

    [Fact]
    public async Task Update_ConcurrentSameDefinition_StoresOneVersion()
    {
        var name = await CreateAsync("samerace");

        var answers = await Task.WhenAll(Enumerable.Range(0, 6)
            .Select(_ => Client.PutYamlAsync($"/api/v1/workflows/{name}", ApiCalls.Definition(name, "two"))));

        answers.Should().AllSatisfy(a => a.Body.GetProperty("version").GetInt32().Should().Be(2, a.Text));
        answers.Count(a => a.Body.GetProperty("changed").GetBoolean()).Should().Be(1);
    }

    [Fact]
    public async Task Versions_ListedNewestFirstAndPaged_OneVersionKeepsItsSource()
    {
        var name = await CreateAsync("versions");
        await Client.UpdateWorkflowAsync(name, ApiCalls.Definition(name, "two"));
        var json = $$$"""{"name": "{{{name}}}", "steps": [{"id": "only", "type": "transform", "with": {"v": 3}}]}""";
        (await Client.SendAsync(HttpMethod.Put, $"/api/v1/workflows/{name}", json)).Status.Should().Be(HttpStatusCode.OK);

        var pages = await Client.AllPagesAsync($"/api/v1/workflows/{name}/versions", 2);

        pages.Select(p => string.Join(",", p.Select(v => v.GetProperty("version").GetInt32()))).Should().Equal("3,2", "1");
        pages[0][0].GetProperty("format").GetString().Should().Be("json");
        pages[0][0].GetProperty("createdBy").GetString().Should().Be("bootstrap");
        var second = await Client.ReadAsync($"/api/v1/workflows/{name}/versions/2");
        second.Body.GetProperty("format").GetString().Should().Be("yaml");
        second.Body.GetProperty("source").GetString().Should().Be(ApiCalls.Definition(name, "two"));
        second.Body.GetProperty("definition").GetProperty("steps")[1].GetProperty("with").GetProperty("label").GetString().Should().Be("two");
        var third = await Client.ReadAsync($"/api/v1/workflows/{name}/versions/3");
        third.Body.GetProperty("latest").GetBoolean().Should().BeTrue();
        third.Body.GetProperty("source").GetString().Should().Be(json);
    }

    [Fact]
    public async Task Version_Unknown_Answers404()
    {
        var name = await CreateAsync("noversion");

        var answer = await Client.ReadAsync($"/api/v1/workflows/{name}/versions/7");

        answer.Status.Should().Be(HttpStatusCode.NotFound, answer.Text);
        answer.Body.GetProperty("detail").GetString().Should().Contain("no version 7");
    }

    [Fact]
    public async Task Get_UnknownWorkflow_Answers404Problem()
    {
        var answer = await Client.ReadAsync($"/api/v1/workflows/{Api.UniqueName("nobody")}");

        answer.Status.Should().Be(HttpStatusCode.NotFound, answer.Text);
        answer.ProblemType.Should().Be(ProblemTypes.NotFound);
    }

    [Fact]
    public async Task Archive_Workflow_StopsRunsAndUpdatesButKeepsHistory()
    {
        var name = await CreateAsync("archive");
        await Client.UpdateWorkflowAsync(name, ApiCalls.Definition(name, "two"));

        var archived = await Client.RemoveAsync($"/api/v1/workflows/{name}");

        archived.Status.Should().Be(HttpStatusCode.NoContent, archived.Text);
        var read = await Client.ReadAsync($"/api/v1/workflows/{name}");
        read.Body.GetProperty("archived").GetBoolean().Should().BeTrue();
        read.Body.GetProperty("archivedAt").ValueKind.Should().Be(JsonValueKind.String);
        var run = await Client.SendJsonAsync($"/api/v1/workflows/{name}/runs", new { input = new { } });
        run.Status.Should().Be(HttpStatusCode.Conflict, run.Text);
        (await Client.PutYamlAsync($"/api/v1/workflows/{name}", ApiCalls.Definition(name, "three"))).Status.Should().Be(HttpStatusCode.Conflict);
        (await Client.PostYamlAsync("/api/v1/workflows", ApiCalls.Definition(name, "three"))).Status.Should().Be(HttpStatusCode.Conflict);
        (await Client.ReadAsync($"/api/v1/workflows/{name}/versions/1")).Status.Should().Be(HttpStatusCode.OK);
        (await Client.ReadAsync($"/api/v1/workflows/{name}/versions")).Body.GetProperty("items").GetArrayLength().Should().Be(2);
    }

    [Fact]
    public async Task Archive_Twice_Answers204AndKeepsTheFirstTime()
    {
        var name = await CreateAsync("archive2");
        await Client.RemoveAsync($"/api/v1/workflows/{name}");
        var first = (await Client.ReadAsync($"/api/v1/workflows/{name}")).Body.GetProperty("archivedAt").GetDateTimeOffset();

        var again = await Client.RemoveAsync($"/api/v1/workflows/{name}");

        again.Status.Should().Be(HttpStatusCode.NoContent, again.Text);
        (await Client.ReadAsync($"/api/v1/workflows/{name}")).Body.GetProperty("archivedAt").GetDateTimeOffset().Should().Be(first);
    }

    [Fact]
    public async Task Archive_UnknownWorkflow_Answers404()
    {
        (await Client.RemoveAsync($"/api/v1/workflows/{Api.UniqueName("nothing")}")).Status.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Run_StartedBeforeAnUpdate_FinishesOnItsOwnVersion()
    {
        var name = await CreateAsync("pinned", "version-1", approval: true);
        var before = await Client.StartRunAsync(name);
        await Client.WaitForStepAsync(before, "ask", "waiting");

        var update = await Client.UpdateWorkflowAsync(name, ApiCalls.Definition(name, "version-2", approval: true));
        update.Body.GetProperty("version").GetInt32().Should().Be(2);
        var after = await Client.StartRunAsync(name);
        await Client.WaitForStepAsync(after, "ask", "waiting");
        foreach (var runId in new[] { before, after })
        {
            var decided = await Client.SendJsonAsync($"/api/v1/runs/{runId}/approvals/ask", new { decision = "approve" });
            decided.Status.Should().Be(HttpStatusCode.OK, decided.Text);
        }

        var old = await Client.WaitForRunEndAsync(before);
        old.Status().Should().Be("succeeded", old.ToString());
        old.GetProperty("version").GetInt32().Should().Be(1);
        Api.Step(old, "result").GetProperty("output").GetProperty("label").GetString().Should().Be("version-1");
        var current = await Client.WaitForRunEndAsync(after);
        current.GetProperty("version").GetInt32().Should().Be(2);
        Api.Step(current, "result").GetProperty("output").GetProperty("label").GetString().Should().Be("version-2");
    }

    [Fact]
    public async Task Run_StartedBeforeArchive_FinishesOnItsVersion()
    {
        var name = await CreateAsync("archivedrun", "kept", approval: true);
        var runId = await Client.StartRunAsync(name);
        await Client.WaitForStepAsync(runId, "ask", "waiting");

        (await Client.RemoveAsync($"/api/v1/workflows/{name}")).Status.Should().Be(HttpStatusCode.NoContent);
        (await Client.SendJsonAsync($"/api/v1/runs/{runId}/approvals/ask", new { decision = "approve" })).Status.Should().Be(HttpStatusCode.OK);

        var run = await Client.WaitForRunEndAsync(runId);
        run.Status().Should().Be("succeeded", run.ToString());
        Api.Step(run, "result").GetProperty("output").GetProperty("label").GetString().Should().Be("kept");
    }

    [Fact]
    public async Task List_PagedByName_ReturnsEveryWorkflowOnceInOrder()
    {
        var (client, _) = await flowkit.NewWorkspaceClientAsync("paging");
        var names = new[] { "delta", "alpha", "echo", "charlie", "bravo" };
        foreach (var name in names)
        {
            (await client.PostYamlAsync("/api/v1/workflows", ApiCalls.Definition(name, name))).Status.Should().Be(HttpStatusCode.Created);
        }

        await client.RemoveAsync("/api/v1/workflows/echo");

        var pages = await client.AllPagesAsync("/api/v1/workflows", 2);
        pages.Select(p => p.Length).Should().Equal(2, 2);
        pages.SelectMany(p => p).Select(w => w.GetProperty("name").GetString()).Should().Equal("alpha", "bravo", "charlie", "delta");
        pages[0][0].GetProperty("definition").GetProperty("name").GetString().Should().Be("alpha");
        (await client.ReadAsync("/api/v1/workflows/alpha/versions")).Body.GetProperty("items")[0].GetProperty("createdBy").GetString()
            .Should().Be("paging-admin", "a version records the key that stored it");
        var archived = await client.ReadAsync("/api/v1/workflows?archived=true");
        archived.Body.GetProperty("items").EnumerateArray().Select(w => w.GetProperty("name").GetString()).Should().Equal("echo");
    }

    [Theory]
    [InlineData("limit=0", "query.limit")]
    [InlineData("limit=501", "query.limit")]
    [InlineData("cursor=bm90LWEtY3Vyc29y", "query.cursor")]
    public async Task List_BadPaging_Answers422NamingTheParameter(string query, string path)
    {
        var answer = await Client.ReadAsync($"/api/v1/workflows?{query}");

        answer.Status.Should().Be(HttpStatusCode.UnprocessableEntity, answer.Text);
        answer.Body.GetProperty("errors")[0].GetProperty("path").GetString().Should().Be(path);
    }
}
