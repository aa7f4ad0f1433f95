using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Flowkit.Cli;

/// <summary>The public HTTP API (docs/api.md): answers as JSON, problems as <see cref="CliException"/> with their detail and errors.</summary>
internal sealed class FlowkitClient : IDisposable
{
    private readonly HttpClient _http;

    public FlowkitClient(Connection connection)
    {
        _http = new HttpClient { BaseAddress = connection.Server, Timeout = TimeSpan.FromSeconds(100) };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", connection.Key);
    }

    public Task<(int Status, JsonElement Body)> GetAsync(string path, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Get, path, null, cancellationToken);

    public Task<(int Status, JsonElement Body)> PostJsonAsync(string path, object body, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, path, new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"), cancellationToken);

    public Task<(int Status, JsonElement Body)> SendDefinitionAsync(HttpMethod method, string path, string text, bool json, CancellationToken cancellationToken) =>
        SendAsync(method, path, new StringContent(text, Encoding.UTF8, json ? "application/json" : "application/yaml"), cancellationToken, allow: [404, 409]);

    public Task<(int Status, JsonElement Body)> DeleteAsync(string path, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Delete, path, null, cancellationToken);

    public void Dispose() => _http.Dispose();

    private async Task<(int Status, JsonElement Body)> SendAsync(
        HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken, int[]? allow = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative)) { Content = content };
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new CliException($"Cannot reach {_http.BaseAddress}: {e.Message}");
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            var body = text.Length == 0 ? default : Parse(text);
            var status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode || (allow?.Contains(status) ?? false))
            {
                return (status, body);
            }

            throw new CliException(Describe(status, body), status == 422 ? ExitCodes.Invalid : ExitCodes.Error);
        }
    }

    /// <summary>A problem's detail and each of its errors on a line of its own.</summary>
    public static string Describe(int status, JsonElement body)
    {
        var text = new StringBuilder();
        text.Append(status).Append(' ');
        text.Append(body.ValueKind == JsonValueKind.Object && body.TryGetProperty("detail", out var d) ? d.GetString() : "The server refused the request.");
        if (body.ValueKind == JsonValueKind.Object && body.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array)
        {
            foreach (var e in errors.EnumerateArray())
            {
                text.AppendLine().Append("  ").Append(e.GetProperty("path").GetString()).Append(": ").Append(e.GetProperty("message").GetString());
            }
        }

        return text.ToString();
    }

    private static JsonElement Parse(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            using var document = JsonDocument.Parse(JsonSerializer.Serialize(new { detail = text }));
            return document.RootElement.Clone();
        }
    }
}
