using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Flowkit.Api.Auth;
using Flowkit.Api.Problems;
using Flowkit.Testing;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Flowkit.IntegrationTests.Governance;

/// <summary>
/// Issue #16: every operation of the OpenAPI document, called on the real host with a key of every role, answers 403
/// exactly where the permission table of docs/security.md says the role may not; an operation without a permission
/// fails here, so a new endpoint without a rule fails the build.
/// </summary>
[Collection(FlowkitCollection.Name)]
public sealed partial class PermissionMatrixTests(FlowkitFixture flowkit)
{
    [Fact]
    public async Task Operations_EveryOperationWithEveryRole_Answer403ExactlyWhereThePermissionTableSaysNo()
    {
        var table = PermissionTable.Read();
        var operations = await OperationsAsync();
        operations.Should().HaveCountGreaterThan(30, "the document lists every /api operation");
        var unruled = operations.Where(o => o.Permission is null || !table.ContainsKey(o.Permission)).Select(o => $"{o.Method} {o.Path} ({o.Permission ?? "no x-flowkit-permission"})").ToArray();
        unruled.Should().BeEmpty("every operation needs a permission that docs/security.md's table lists");

        // Keys of workspace default, where the operations endpoints are open to the roles that have 'operate'.
        var clients = new Dictionary<string, HttpClient>(StringComparer.Ordinal);
        foreach (var role in ApiKeyRoles.All)
        {
            clients[role] = flowkit.CreateClient(await flowkit.Client.CreateKeyWithRoleAsync(Api.UniqueName($"matrix-{role}"), role));
        }

        var wrong = new List<string>();
        try
        {
            foreach (var operation in operations)
            {
                foreach (var role in ApiKeyRoles.All)
                {
                    var allowed = table[operation.Permission!].Contains(role);
                    var answer = await CallAsync(clients[role], operation);
                    if (allowed && answer.Status is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized)
                    {
                        wrong.Add($"{operation.Method} {operation.Path} as {role}: expected allowed ('{operation.Permission}'), got {(int)answer.Status} {answer.Text}");
                    }
                    else if (!allowed && (answer.Status != HttpStatusCode.Forbidden || answer.ProblemType != ProblemTypes.Forbidden
                        || answer.Body.GetProperty("permission").GetString() != operation.Permission))
                    {
                        wrong.Add($"{operation.Method} {operation.Path} as {role}: expected 403 naming '{operation.Permission}', got {(int)answer.Status} {answer.Text}");
                    }
                }
            }
        }
        finally
        {
            foreach (var client in clients.Values)
            {
                client.Dispose();
            }
        }

        wrong.Should().BeEmpty();
    }

    [Fact]
    public async Task Endpoints_EveryApiRoute_IsAnOperationWithAPermission()
    {
        // The OpenAPI walk above only sees what the document lists: every /api endpoint must be there, with its rule.
        var endpoints = flowkit.Host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText!.StartsWith("/api", StringComparison.Ordinal))
            .ToArray();
        var operations = (await OperationsAsync()).Select(o => $"{o.Method} {o.Path.TrimEnd('/')}").ToHashSet(StringComparer.Ordinal);

        endpoints.Should().AllSatisfy(e => e.Metadata.GetMetadata<RequiredPermission>().Should().NotBeNull(e.DisplayName));
        var routes = endpoints.SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? []).Select(m => $"{m} {Template(e.RoutePattern.RawText!)}")).ToArray();
        routes.Should().NotBeEmpty();
        routes.Should().AllSatisfy(r => operations.Should().Contain(r));
    }

    private async Task<List<Operation>> OperationsAsync()
    {
        using var anonymous = flowkit.CreateClient(apiKey: null);
        var document = await anonymous.ReadAsync("/openapi/v1.json");
        document.Status.Should().Be(HttpStatusCode.OK);
        var operations = new List<Operation>();
        foreach (var path in document.Body.GetProperty("paths").EnumerateObject().Where(p => p.Name.StartsWith("/api/", StringComparison.Ordinal)))
        {
            foreach (var operation in path.Value.EnumerateObject().Where(o => o.Name is "get" or "post" or "put" or "delete" or "patch"))
            {
                var permission = operation.Value.TryGetProperty("x-flowkit-permission", out var p) ? p.GetString() : null;
                operations.Add(new Operation(operation.Name.ToUpperInvariant(), path.Name, permission));
            }
        }

        return operations;
    }

    /// <summary>
    /// Calls the operation with harmless arguments: ids nobody has, names nobody uses, an empty JSON object. A role
    /// with the permission gets whatever the endpoint answers such a call (404, 422, 200); a role without it gets 403.
    /// </summary>
    private static async Task<Answer> CallAsync(HttpClient client, Operation operation)
    {
        var path = Parameter().Replace(operation.Path, m => m.Groups[1].Value switch
        {
            "id" => Guid.NewGuid().ToString(),
            "version" => "1",
            var other => $"matrix-none-{other.ToLowerInvariant()}",
        });
        using var request = new HttpRequestMessage(new HttpMethod(operation.Method), path);
        if (operation.Method is "POST" or "PUT")
        {
            request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
        }

        if (path.EndsWith("/events/stream", StringComparison.Ordinal))
        {
            // The stream of a run that does not exist answers at once; headers are enough for any other answer.
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
            return response.StatusCode == HttpStatusCode.Forbidden ? await Answer.ReadAsync(response) : new Answer(response.StatusCode, default, "", response);
        }

        return await Answer.ReadAsync(await client.SendAsync(request, TestContext.Current.CancellationToken));
    }

    /// <summary>A route pattern as the OpenAPI document writes it: without constraints.</summary>
    private static string Template(string route) => Constraint().Replace(route, "{$1}").TrimEnd('/');

    [GeneratedRegex(@"\{([A-Za-z]+)\}")]
    private static partial Regex Parameter();

    [GeneratedRegex(@"\{([A-Za-z]+):[^}]+\}")]
    private static partial Regex Constraint();

    private sealed record Operation(string Method, string Path, string? Permission);
}
