using System.Net;
using Flowkit.Api.Problems;
using Flowkit.Testing;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Flowkit.IntegrationTests;

/// <summary>Bearer API keys (CONTRACT.md section 2, issue #4): who may call /api, and keys made through the API.</summary>
[Collection(FlowkitCollection.Name)]
public sealed class AuthTests(FlowkitFixture flowkit)
{
    [Fact]
    public async Task Api_NoKey_Answers401Problem()
    {
        using var anonymous = flowkit.CreateClient(apiKey: null);

        var answer = await anonymous.ReadAsync("/api/v1/runs");

        answer.Status.Should().Be(HttpStatusCode.Unauthorized, answer.Text);
        answer.Response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        answer.ProblemType.Should().Be(ProblemTypes.Unauthorized);
        answer.Body.GetProperty("detail").GetString().Should().Contain("Authorization: Bearer");
        answer.Response.Headers.WwwAuthenticate.ToString().Should().StartWith("Bearer");
    }

    [Fact]
    public async Task Api_WrongKey_Answers401AndChangesNothing()
    {
        using var stranger = flowkit.CreateClient("fk_not-a-key-anyone-made");
        var name = Api.UniqueName("wrongkey");

        var answer = await stranger.PostYamlAsync("/api/v1/workflows", ApiCalls.Definition(name, "one"));

        answer.Status.Should().Be(HttpStatusCode.Unauthorized, answer.Text);
        answer.ProblemType.Should().Be(ProblemTypes.Unauthorized);
        answer.Body.GetProperty("detail").GetString().Should().Contain("not valid");
        (await flowkit.Client.ReadAsync($"/api/v1/workflows/{name}")).Status.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Api_NotABearerHeader_Answers401()
    {
        using var client = flowkit.CreateClient(apiKey: null);
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Basic ZGV2OmRldg==");

        var answer = await client.ReadAsync("/api/v1/runs");

        answer.Status.Should().Be(HttpStatusCode.Unauthorized, answer.Text);
        answer.Body.GetProperty("detail").GetString().Should().Contain("Bearer <api key>");
    }

    [Theory]
    [InlineData("/health/live")]
    [InlineData("/openapi/v1.json")]
    public async Task Anonymous_PublicEndpoints_Answer200(string path)
    {
        using var anonymous = flowkit.CreateClient(apiKey: null);

        (await anonymous.GetAsync(path, TestContext.Current.CancellationToken)).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public void Endpoints_EveryApiRoute_RequiresAnApiKey()
    {
        // A guard for every /api endpoint, whoever maps it: it must be mapped on the authorized group.
        var endpoints = flowkit.Host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText!.StartsWith("/api", StringComparison.Ordinal))
            .ToArray();

        endpoints.Should().NotBeEmpty();
        endpoints.Should().AllSatisfy(e => e.Metadata.GetOrderedMetadata<IAuthorizeData>().Should().NotBeEmpty(e.DisplayName));
        endpoints.Should().AllSatisfy(e => e.Metadata.GetMetadata<IAllowAnonymous>().Should().BeNull(e.DisplayName));
    }

    [Fact]
    public async Task Key_Created_AuthenticatesInItsWorkspaceAndIsShownOnce()
    {
        var workspace = Api.UniqueName("keys");
        var created = await flowkit.Client.SendJsonAsync("/api/v1/keys", new { name = "deployer", workspace });
        created.Status.Should().Be(HttpStatusCode.Created, created.Text);
        var key = created.Body.GetProperty("key").GetString()!;
        key.Should().StartWith("fk_").And.HaveLength(46);
        created.Body.GetProperty("prefix").GetString().Should().Be(key[..11]);
        using var client = flowkit.CreateClient(key);

        var name = Api.UniqueName("mine");
        (await client.PostYamlAsync("/api/v1/workflows", ApiCalls.Definition(name, "one"))).Status.Should().Be(HttpStatusCode.Created);

        (await client.ReadAsync($"/api/v1/workflows/{name}")).Status.Should().Be(HttpStatusCode.OK);
        var keys = await client.ReadAsync("/api/v1/keys");
        keys.Status.Should().Be(HttpStatusCode.OK, keys.Text);
        var listed = keys.Body.GetProperty("items").EnumerateArray().Single();
        listed.GetProperty("name").GetString().Should().Be("deployer");
        listed.GetProperty("workspace").GetString().Should().Be(workspace);
        listed.TryGetProperty("key", out _).Should().BeFalse();
        keys.Text.Should().NotContain(key);
        (await flowkit.ScalarAsync<long>("SELECT count(*) FROM api_keys WHERE prefix = @p AND workspace = @w", ("p", key[..11]), ("w", workspace))).Should().Be(1);
    }

    [Fact]
    public async Task Key_Revoked_Answers401()
    {
        var (client, _) = await flowkit.NewWorkspaceClientAsync("revoke");
        var second = await client.SendJsonAsync("/api/v1/keys", new { name = "temporary" });
        using var temporary = flowkit.CreateClient(second.Body.GetProperty("key").GetString());
        (await temporary.ReadAsync("/api/v1/runs")).Status.Should().Be(HttpStatusCode.OK);

        var revoked = await client.RemoveAsync($"/api/v1/keys/{second.Body.GetProperty("id").GetGuid()}");

        revoked.Status.Should().Be(HttpStatusCode.NoContent, revoked.Text);
        (await temporary.ReadAsync("/api/v1/runs")).Status.Should().Be(HttpStatusCode.Unauthorized);
        (await client.ReadAsync("/api/v1/runs")).Status.Should().Be(HttpStatusCode.OK);
        (await client.SendJsonAsync("/api/v1/keys", new { name = "temporary" })).Status.Should().Be(HttpStatusCode.Created, "a revoked key gives up its name");
    }

    [Fact]
    public async Task Key_ForAnotherWorkspaceFromANonDefaultKey_Answers403()
    {
        var (client, _) = await flowkit.NewWorkspaceClientAsync("tenant");

        var answer = await client.SendJsonAsync("/api/v1/keys", new { name = "escape", workspace = "default" });

        answer.Status.Should().Be(HttpStatusCode.Forbidden, answer.Text);
        answer.ProblemType.Should().Be(ProblemTypes.Forbidden);
    }

    [Fact]
    public async Task Key_NameTaken_Answers409()
    {
        var (client, _) = await flowkit.NewWorkspaceClientAsync("dupkey");

        var answer = await client.SendJsonAsync("/api/v1/keys", new { name = "dupkey-admin" });

        answer.Status.Should().Be(HttpStatusCode.Conflict, answer.Text);
    }

    [Fact]
    public async Task Key_BadNameAndWorkspace_Answers422WithBoth()
    {
        var answer = await flowkit.Client.SendJsonAsync("/api/v1/keys", new { name = "", workspace = "Not A Workspace" });

        answer.Status.Should().Be(HttpStatusCode.UnprocessableEntity, answer.Text);
        answer.Body.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("path").GetString()).Should().Equal("$.name", "$.workspace");
    }
}
