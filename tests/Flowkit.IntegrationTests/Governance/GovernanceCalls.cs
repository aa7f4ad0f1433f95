using System.Net;
using System.Text.Json;
using Flowkit.Testing;

namespace Flowkit.IntegrationTests.Governance;

/// <summary>Calls of the key and audit API (issue #16), so the governance tests read as what an administrator does.</summary>
internal static class GovernanceCalls
{
    /// <summary>Makes a key with <paramref name="role"/> in the client's workspace and returns the key text.</summary>
    public static async Task<string> CreateKeyWithRoleAsync(this HttpClient client, string name, string role)
    {
        var answer = await client.SendJsonAsync("/api/v1/keys", new { name, role });
        answer.Status.Should().Be(HttpStatusCode.Created, answer.Text);
        answer.Body.GetProperty("role").GetString().Should().Be(role);
        return answer.Body.GetProperty("key").GetString()!;
    }

    /// <summary>The workspace's audit entries matching <paramref name="query"/> (e.g. <c>action=run.*</c>), newest first, every page.</summary>
    public static async Task<JsonElement[]> AuditAsync(this HttpClient client, string query = "")
    {
        var pages = await client.AllPagesAsync($"/api/v1/audit{(query.Length == 0 ? "" : "?" + query)}", 100);
        return [.. pages.SelectMany(p => p)];
    }

    /// <summary>A new workspace with an admin client and that key's id.</summary>
    public static async Task<(HttpClient Client, string Workspace, Guid KeyId, string KeyName)> NewAdminAsync(this FlowkitFixture flowkit, string prefix)
    {
        var workspace = Api.UniqueName(prefix);
        var name = $"{prefix}-admin";
        var created = await flowkit.Client.SendJsonAsync("/api/v1/keys", new { name, workspace });
        created.Status.Should().Be(HttpStatusCode.Created, created.Text);
        return (flowkit.CreateClient(created.Body.GetProperty("key").GetString()), workspace, created.Body.GetProperty("id").GetGuid(), name);
    }
}
