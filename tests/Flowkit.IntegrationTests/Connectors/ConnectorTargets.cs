using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Flowkit.IntegrationTests.Connectors;

/// <summary>
/// A fake of the APIs the example connectors call (GitHub issues, Notion pages, an OpenAI-compatible chat
/// completion), of an OAuth 2.0 token endpoint and of endpoints guarded by each auth kind, on 127.0.0.1. Every
/// request is remembered; each API checks the credential it expects, as the real one would.
/// </summary>
internal sealed class ConnectorTargets : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _tokens;

    private ConnectorTargets(WebApplication app) => _app = app;

    public Uri Address => new(_app.Urls.First());

    public string Url(string path) => Address.ToString().TrimEnd('/') + path;

    public ConcurrentQueue<Seen> Received { get; } = new();

    /// <summary>The credential each API accepts; tests set them.</summary>
    public string Secret { get; set; } = "";

    /// <summary>Token endpoint calls.</summary>
    public int TokensIssued => _tokens;

    /// <summary>The one access token the OAuth-guarded endpoint accepts; clearing it revokes every token.</summary>
    public string? ValidToken { get; set; }

    public static async Task<ConnectorTargets> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var targets = new ConnectorTargets(app);
        app.Use(async (context, next) =>
        {
            context.Request.EnableBuffering();
            using var reader = new StreamReader(context.Request.Body, Encoding.UTF8, leaveOpen: true);
            var body = await reader.ReadToEndAsync(context.RequestAborted);
            context.Request.Body.Position = 0;
            targets.Received.Enqueue(new Seen(
                context.Request.Method,
                context.Request.Path,
                context.Request.QueryString.Value ?? "",
                context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
                body));
            await next(context);
        });

        bool Bearer(HttpContext c) => c.Request.Headers.Authorization.ToString() == $"Bearer {targets.Secret}";

        // GitHub
        app.MapPost("/repos/{owner}/{repo}/issues", (HttpContext c, string owner, string repo) => Bearer(c)
            ? Results.Json(new { number = 42, html_url = $"https://github.example/{owner}/{repo}/issues/42", token_echo = c.Request.Headers.Authorization.ToString() }, statusCode: 201)
            : Results.Json(new { message = "Bad credentials" }, statusCode: 401));
        app.MapGet("/repos/{owner}/{repo}/issues", (HttpContext c) => Bearer(c)
            ? Results.Json(new[] { new { number = 42, title = "First", state = c.Request.Query["state"].ToString() } })
            : Results.Json(new { message = "Bad credentials" }, statusCode: 401));
        app.MapPost("/repos/{owner}/{repo}/issues/{number:int}/comments", (HttpContext c, int number) => Bearer(c)
            ? Results.Json(new { id = 1000 + number, html_url = $"https://github.example/comment/{number}" }, statusCode: 201)
            : Results.Json(new { message = "Bad credentials" }, statusCode: 401));

        // Notion
        app.MapPost("/v1/pages", (HttpContext c) => Bearer(c) && c.Request.Headers["Notion-Version"] == "2022-06-28"
            ? Results.Json(new { @object = "page", id = "page-1", url = "https://notion.example/page-1" })
            : Results.Json(new { code = "unauthorized" }, statusCode: 401));
        app.MapPost("/v1/databases/{id}/query", (HttpContext c, string id) => Bearer(c)
            ? Results.Json(new { results = new[] { new { id = "row-1", database = id } }, has_more = false })
            : Results.Json(new { code = "unauthorized" }, statusCode: 401));

        // OpenAI-compatible
        app.MapPost("/v1/chat/completions", async (HttpContext c) =>
        {
            if (!Bearer(c))
            {
                return Results.Json(new { error = new { message = "Incorrect API key" } }, statusCode: 401);
            }

            using var document = await System.Text.Json.JsonDocument.ParseAsync(c.Request.Body);
            var messages = document.RootElement.GetProperty("messages");
            var last = messages[messages.GetArrayLength() - 1].GetProperty("content").GetString();
            var model = document.RootElement.GetProperty("model").GetString();
            return Results.Json(new { id = "chatcmpl-1", model, choices = new[] { new { index = 0, message = new { role = "assistant", content = $"Summary: {last}" } } } });
        });

        // One endpoint per auth kind.
        app.MapGet("/auth/header", (HttpContext c) => c.Request.Headers["X-Api-Key"] == targets.Secret ? Results.Json(new { ok = "header" }) : Results.StatusCode(401));
        app.MapGet("/auth/basic", (HttpContext c) =>
            c.Request.Headers.Authorization.ToString() == "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"robot:{targets.Secret}"))
                ? Results.Json(new { ok = "basic" })
                : Results.StatusCode(401));
        app.MapGet("/auth/query", (HttpContext c) => c.Request.Query["api_key"] == targets.Secret ? Results.Json(new { ok = "query" }) : Results.StatusCode(401));
        app.MapPost("/oauth/token", async (HttpContext c) =>
        {
            var form = await c.Request.ReadFormAsync();
            if (form["grant_type"] != "client_credentials" || form["client_id"] != "flowkit-client" || form["client_secret"] != targets.Secret)
            {
                return Results.Json(new { error = "invalid_client" }, statusCode: 401);
            }

            var token = $"tok-{Interlocked.Increment(ref targets._tokens)}-{Guid.NewGuid():N}";
            targets.ValidToken = token;
            return Results.Json(new { access_token = token, token_type = "Bearer", expires_in = 3600, scope = form["scope"].ToString() });
        });
        app.MapGet("/auth/oauth", (HttpContext c) =>
            targets.ValidToken is { } valid && c.Request.Headers.Authorization.ToString() == $"Bearer {valid}"
                ? Results.Json(new { ok = "oauth" })
                : Results.StatusCode(401));

        // An imported API (see ConnectorImportTests).
        app.MapPost("/v2/stores/{storeId}/pets", async (HttpContext c, string storeId) =>
        {
            if (!Bearer(c))
            {
                return Results.StatusCode(401);
            }

            using var document = await System.Text.Json.JsonDocument.ParseAsync(c.Request.Body);
            return Results.Json(new { id = 7, store = storeId, name = document.RootElement.GetProperty("name").GetString(), notify = c.Request.Query["notify"].ToString() }, statusCode: 201);
        });
        app.MapGet("/v2/pets/{petId}", (HttpContext c, string petId) => Bearer(c) ? Results.Json(new { id = petId, name = "Rex" }) : Results.StatusCode(401));

        await app.StartAsync(TestContext.Current.CancellationToken);
        return targets;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    /// <summary>One request as the fake saw it.</summary>
    internal sealed record Seen(string Method, string Path, string Query, IReadOnlyDictionary<string, string> Headers, string Body);
}
