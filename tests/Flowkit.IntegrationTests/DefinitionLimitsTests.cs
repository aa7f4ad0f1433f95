using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Flowkit.Api.Problems;
using Flowkit.Testing;

namespace Flowkit.IntegrationTests;

/// <summary>
/// The limits of Flowkit:Limits on the real host (issue #19, findings 2, 5 and 8): a definition over one answers 413
/// or 422 with the field named, never 500, and nothing is stored.
/// </summary>
[Collection(FlowkitCollection.Name)]
public sealed class DefinitionLimitsTests(FlowkitFixture flowkit)
{
    private static string OneStep(string name, string extra = "") =>
        $"name: {name}\n{extra}steps:\n  - {{ id: a, type: transform, with: {{}} }}\n";

    /// <summary>An API host with small quotas and a key for a workspace of its own (quotas count per workspace).</summary>
    private async Task<HttpClient> LimitedClientAsync(IReadOnlyDictionary<string, string?> limits)
    {
        var workspace = Api.UniqueName("limits");
        var key = await flowkit.Client.CreateKeyAsync("limits-admin", workspace);
        var client = flowkit.StartHost("api", limits).CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    private async Task<long> CountWorkflowsAsync(string name) =>
        await flowkit.ScalarAsync<long>("SELECT count(*) FROM workflows WHERE name = @n", ("n", name));

    [Fact]
    public async Task Create_DefinitionOverMaxDefinitionBytes_Answers413NamingItAndStoresNothing()
    {
        var name = Api.UniqueName("huge");
        var yaml = OneStep(name, $"description: \"{new string('d', (1024 * 1024) + 1)}\"\n");

        var answer = await flowkit.Client.PostYamlAsync("/api/v1/workflows", yaml);

        answer.Status.Should().Be(HttpStatusCode.RequestEntityTooLarge, answer.Text);
        answer.ProblemType.Should().Be(ProblemTypes.PayloadTooLarge);
        var error = answer.Body.GetProperty("errors").EnumerateArray().Single();
        error.GetProperty("path").GetString().Should().Be("$");
        error.GetProperty("message").GetString().Should().Contain("Flowkit:Limits:MaxDefinitionBytes");
        (await CountWorkflowsAsync(name)).Should().Be(0);
    }

    [Fact]
    public async Task Create_SmallTextExpandingToMegabytes_Answers422AndStoresNothing()
    {
        // Finding 5: about 600 bytes of YAML that aliases expand to 10 MB (11 MB were stored before the fix).
        var name = Api.UniqueName("amplified");
        var yaml = new StringBuilder($"name: {name}\nsteps:\n  - id: a\n    type: transform\n    with:\n      x0: &x0 \"{new string('l', 100)}\"\n");
        for (var i = 1; i <= 5; i++)
        {
            yaml.Append(CultureInfo.InvariantCulture, $"      x{i}: &x{i} [{string.Join(",", Enumerable.Repeat($"*x{i - 1}", 10))}]\n");
        }

        var answer = await flowkit.Client.PostYamlAsync("/api/v1/workflows", yaml.ToString());

        answer.Status.Should().Be(HttpStatusCode.UnprocessableEntity, answer.Text[..Math.Min(500, answer.Text.Length)]);
        answer.Body.GetProperty("errors").EnumerateArray().Should().ContainSingle()
            .Which.GetProperty("message").GetString().Should().Contain("Flowkit:Limits:MaxExpandedBytes");
        (await CountWorkflowsAsync(name)).Should().Be(0);
    }

    [Fact]
    public async Task Create_AliasNestedPastDepth64_Answers422Not500()
    {
        var name = Api.UniqueName("deep");
        var deep = new string('[', 60) + "1" + new string(']', 60);
        var yaml = $"name: {name}\nd: &d {deep}\nsteps:\n  - {{ id: a, type: transform, with: {{ a: {{ b: {{ c: {{ d: {{ e: {{ f: {{ g: {{ h: *d }} }} }} }} }} }} }} }} }}\n";

        var answer = await flowkit.Client.PostYamlAsync("/api/v1/workflows", yaml);

        answer.Status.Should().Be(HttpStatusCode.UnprocessableEntity, answer.Text);
        answer.ProblemType.Should().Be(ProblemTypes.Validation);
        answer.Body.GetProperty("errors")[0].GetProperty("message").GetString().Should().Contain("nested more than 64 levels deep");
    }

    [Fact]
    public async Task Create_UnknownNeedsMultipliedByAliases_Answers422WithBoundedProblems()
    {
        // Finding 2: about 13 KB that kept a core busy for 78 s; 200,000 references, refused at the first one over the limit.
        var yaml = new StringBuilder();
        var ids = string.Join(",", Enumerable.Range(0, 400).Select(i => "q" + i.ToString(CultureInfo.InvariantCulture)));
        yaml.Append(CultureInfo.InvariantCulture, $"name: {Api.UniqueName("hostile")}\nsteps:\n  - {{ id: p0, type: transform, with: {{}}, needs: &n [{ids}] }}\n");
        for (var i = 1; i < 500; i++)
        {
            yaml.Append(CultureInfo.InvariantCulture, $"  - {{ id: p{i}, type: transform, with: {{}}, needs: *n }}\n");
        }

        var answer = await flowkit.Client.PostYamlAsync("/api/v1/workflows", yaml.ToString());

        answer.Status.Should().Be(HttpStatusCode.UnprocessableEntity);
        var error = answer.Body.GetProperty("errors").EnumerateArray().Should().ContainSingle().Subject;
        error.GetProperty("path").GetString().Should().Be("$.steps[25].needs[0]", "the 10,001st reference is the first over the limit");
        error.GetProperty("message").GetString().Should().Contain("Flowkit:Limits:MaxReferences");
    }

    [Fact]
    public async Task Create_WorkspaceAtMaxDefinitions_Answers422UntilOneIsArchived()
    {
        var client = await LimitedClientAsync(new Dictionary<string, string?> { ["Flowkit:Limits:MaxDefinitionsPerWorkspace"] = "2" });
        var first = Api.UniqueName("quota");
        (await client.PostYamlAsync("/api/v1/workflows", OneStep(first))).Status.Should().Be(HttpStatusCode.Created);
        (await client.PostYamlAsync("/api/v1/workflows", OneStep(Api.UniqueName("quota")))).Status.Should().Be(HttpStatusCode.Created);
        var third = Api.UniqueName("quota");

        var refused = await client.PostYamlAsync("/api/v1/workflows", OneStep(third));
        (await client.RemoveAsync($"/api/v1/workflows/{first}")).Status.Should().Be(HttpStatusCode.NoContent);
        var accepted = await client.PostYamlAsync("/api/v1/workflows", OneStep(third));

        refused.Status.Should().Be(HttpStatusCode.UnprocessableEntity, refused.Text);
        refused.Body.GetProperty("errors")[0].GetProperty("message").GetString().Should().Contain("at most 2 are allowed (setting Flowkit:Limits:MaxDefinitionsPerWorkspace)");
        accepted.Status.Should().Be(HttpStatusCode.Created, "an archived workflow does not count");
    }

    [Fact]
    public async Task CreateAndUpdate_OverConfiguredQuotas_Answer422NamingTheField()
    {
        var client = await LimitedClientAsync(new Dictionary<string, string?>
        {
            ["Flowkit:Limits:MaxSteps"] = "2",
            ["Flowkit:Limits:MaxRetryAttempts"] = "3",
        });
        var name = Api.UniqueName("quota");
        (await client.PostYamlAsync("/api/v1/workflows", OneStep(name))).Status.Should().Be(HttpStatusCode.Created);

        var steps = await client.PutYamlAsync($"/api/v1/workflows/{name}", $"name: {name}\nsteps:\n" + string.Concat(Enumerable.Range(0, 3).Select(i => $"  - {{ id: s{i}, type: transform, with: {{}} }}\n")));
        var retries = await client.PutYamlAsync($"/api/v1/workflows/{name}", $"name: {name}\nsteps:\n  - {{ id: a, type: transform, with: {{}}, retry: {{ attempts: 4 }} }}\n");
        var cron = await client.PostYamlAsync("/api/v1/workflows", OneStep(Api.UniqueName("often"), "triggers:\n  - cron: { expression: \"0/10 * * * * ?\" }\n"));

        steps.Status.Should().Be(HttpStatusCode.UnprocessableEntity, steps.Text);
        steps.Body.GetProperty("errors")[0].GetProperty("path").GetString().Should().Be("$.steps");
        retries.Status.Should().Be(HttpStatusCode.UnprocessableEntity, retries.Text);
        retries.Body.GetProperty("errors")[0].GetProperty("path").GetString().Should().Be("$.steps[0].retry.attempts");
        cron.Status.Should().Be(HttpStatusCode.UnprocessableEntity, cron.Text);
        cron.Body.GetProperty("errors")[0].GetProperty("path").GetString().Should().Be("$.triggers[0].cron.expression");
        (await client.ReadAsync($"/api/v1/workflows/{name}")).Body.GetProperty("version").GetInt32().Should().Be(1, "no refused update stored a version");
    }
}
