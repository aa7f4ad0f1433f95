using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Flowkit.Definitions.Secrets;
using Flowkit.Testing;
using Npgsql;

namespace Flowkit.IntegrationTests;

/// <summary>PUT/GET/DELETE /api/v1/secrets: values go in encrypted and never come back out.</summary>
[Collection(FlowkitCollection.Name)]
public sealed class SecretsTests(FlowkitFixture flowkit)
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Secrets_SetListReplaceDelete_NeverAnswerTheValue()
    {
        var name = SecretName();
        const string first = "first-value-8c1f3a";
        const string second = "second-value-77d2e9";

        await PutAsync(name, first, HttpStatusCode.NoContent);
        var listed = await FindAsync(name);
        await PutAsync(name, second, HttpStatusCode.NoContent);
        var replaced = await FindAsync(name);

        listed.Should().NotBeNull();
        replaced!.Value.GetProperty("createdAt").GetDateTimeOffset().Should().Be(listed!.Value.GetProperty("createdAt").GetDateTimeOffset());
        replaced.Value.GetProperty("updatedAt").GetDateTimeOffset().Should().BeOnOrAfter(listed.Value.GetProperty("updatedAt").GetDateTimeOffset());
        replaced.Value.EnumerateObject().Select(p => p.Name).Should().BeEquivalentTo("name", "createdAt", "updatedAt");
        var list = await flowkit.Client.GetStringAsync("/api/v1/secrets?limit=500", Cancel);
        list.Should().NotContain(first).And.NotContain(second);

        using (var delete = await flowkit.Client.DeleteAsync($"/api/v1/secrets/{name}", Cancel))
        {
            delete.StatusCode.Should().Be(HttpStatusCode.NoContent);
        }

        using var again = await flowkit.Client.DeleteAsync($"/api/v1/secrets/{name}", Cancel);
        again.StatusCode.Should().Be(HttpStatusCode.NotFound);
        again.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        (await FindAsync(name)).Should().BeNull();
    }

    [Fact]
    public async Task Secrets_Stored_AreSealedWithTheConfiguredKeyForTheirNameAndWorkspace()
    {
        var name = SecretName();
        const string value = "stored-value-5b7c1d";

        await PutAsync(name, value, HttpStatusCode.NoContent);

        await using var connection = new NpgsqlConnection(flowkit.PostgresConnectionString);
        await connection.OpenAsync(Cancel);
        await using var command = new NpgsqlCommand("SELECT workspace, sealed_value FROM secrets WHERE name = @name", connection);
        command.Parameters.AddWithValue("name", name);
        await using var reader = await command.ExecuteReaderAsync(Cancel);
        (await reader.ReadAsync(Cancel)).Should().BeTrue();
        var workspace = reader.GetString(0);
        var sealedValue = reader.GetString(1);
        sealedValue.Should().NotContain(value);
        // The test host runs in Development without a key, so the development key sealed it.
        new SecretBox(Convert.FromBase64String(SecretsOptions.DevelopmentKey)).Unseal(workspace, name, sealedValue).Should().Be(value);
    }

    [Fact]
    public async Task Secrets_BadNameAndNoValue_AnswerOneProblemListingBoth()
    {
        using var response = await flowkit.Client.PutAsJsonAsync("/api/v1/secrets/not-an-identifier", new { other = 1 }, Cancel);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel)).RootElement;

        response.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        problem.GetProperty("type").GetString().Should().Be("https://flowkit.dev/problems/validation");
        problem.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("path").GetString()).Should().Equal("name", "$.value");
    }

    [Theory]
    [InlineData("""{"value": 42}""", "must be text")]
    [InlineData("""{"value": "ab"}""", "at least 3")]
    [InlineData("""["value"]""", "JSON object")]
    public async Task Secrets_BadValue_Answers422NamingTheField(string body, string message)
    {
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        using var response = await flowkit.Client.PutAsync($"/api/v1/secrets/{SecretName()}", content, Cancel);
        var text = await response.Content.ReadAsStringAsync(Cancel);

        response.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity, text);
        text.Should().Contain(message);
    }

    [Fact]
    public async Task Secrets_MalformedJson_Answers400()
    {
        using var content = new StringContent("""{"value": """, System.Text.Encoding.UTF8, "application/json");
        using var response = await flowkit.Client.PutAsync($"/api/v1/secrets/{SecretName()}", content, Cancel);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
    }

    [Fact]
    public async Task Secrets_ListedOnePerPage_ComeInNameOrderAcrossPages()
    {
        var prefix = SecretName();
        string[] names = [$"{prefix}_a", $"{prefix}_b", $"{prefix}_c"];
        foreach (var name in names.Reverse())
        {
            await PutAsync(name, "paged-value", HttpStatusCode.NoContent);
        }

        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var page = JsonDocument.Parse(await flowkit.Client.GetStringAsync($"/api/v1/secrets?limit=1{(cursor is null ? "" : $"&cursor={cursor}")}", Cancel)).RootElement;
            page.GetProperty("items").GetArrayLength().Should().BeLessThanOrEqualTo(1);
            seen.AddRange(page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("name").GetString()!));
            cursor = page.GetProperty("nextCursor").GetString();
        }
        while (cursor is not null);

        seen.Where(n => n.StartsWith(prefix, StringComparison.Ordinal)).Should().Equal(names);
        seen.Should().BeInAscendingOrder(StringComparer.Ordinal);
    }

    [Theory]
    [InlineData("limit=0")]
    [InlineData("limit=501")]
    [InlineData("cursor=%%%")]
    public async Task Secrets_BadPaging_Answers422(string query)
    {
        using var response = await flowkit.Client.GetAsync($"/api/v1/secrets?{query}", Cancel);

        response.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
    }

    [Fact]
    public async Task OpenApi_DescribesTheSecretsEndpoints()
    {
        var paths = JsonDocument.Parse(await flowkit.Client.GetStringAsync("/openapi/v1.json", Cancel)).RootElement.GetProperty("paths");

        paths.GetProperty("/api/v1/secrets/{name}").EnumerateObject().Select(p => p.Name).Should().Contain(["put", "delete"]);
        paths.GetProperty("/api/v1/secrets").EnumerateObject().Select(p => p.Name).Should().Contain("get");
    }

    internal static string SecretName() => $"s_{Guid.NewGuid():N}"[..22];

    private async Task PutAsync(string name, string value, HttpStatusCode expected)
    {
        using var response = await flowkit.Client.PutAsJsonAsync($"/api/v1/secrets/{name}", new { value }, Cancel);
        var body = await response.Content.ReadAsStringAsync(Cancel);
        response.StatusCode.Should().Be(expected, body);
        body.Should().NotContain(value);
    }

    private async Task<JsonElement?> FindAsync(string name)
    {
        string? cursor = null;
        do
        {
            var page = JsonDocument.Parse(await flowkit.Client.GetStringAsync($"/api/v1/secrets?limit=500{(cursor is null ? "" : $"&cursor={cursor}")}", Cancel)).RootElement.Clone();
            foreach (var item in page.GetProperty("items").EnumerateArray())
            {
                if (item.GetProperty("name").GetString() == name)
                {
                    return item;
                }
            }

            cursor = page.GetProperty("nextCursor").GetString();
        }
        while (cursor is not null);

        return null;
    }
}
