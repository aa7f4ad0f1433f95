using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Flowkit.Testing;

namespace Flowkit.IntegrationTests;

/// <summary>
/// Issue #18: whatever bytes an Authorization header holds, /api answers 401, never 400. Sent as raw bytes to a real
/// Flowkit.Host process over TCP, so Kestrel's own header parsing is part of what is tested (an in-memory test server
/// would skip it).
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class MalformedAuthorizationTests(ApiOnlyFixture flowkit)
{
    /// <summary>
    /// Header values as bytes: empty, odd schemes, whitespace, control characters, non-ASCII, invalid UTF-8, huge. Not
    /// here: a bare CR or LF, which breaks the HTTP/1.1 message itself (RFC 9112 section 2.2), and a header over
    /// Kestrel's 32 KiB limit (431): those are answered by the HTTP layer before any header is read.
    /// </summary>
    private static List<(string Label, byte[] Value)> Headers()
    {
        var data = new List<(string Label, byte[] Value)>();
        void Add(string label, byte[] value) => data.Add((label, value));
        void Text(string label, string value) => Add(label, Encoding.ASCII.GetBytes(value));
        Text("empty", "");
        Text("spaces", "   ");
        Text("scheme only", "Bearer");
        Text("scheme and space", "Bearer ");
        Text("empty scheme", " dev-admin-key");
        Text("two tokens", "Bearer dev-admin-key extra");
        Text("tab separator", "Bearer\tdev-admin-key");
        Text("basic", "Basic ZGV2OmRldg==");
        Text("comma list", "Bearer a, Bearer b");
        Text("quoted", "Bearer \"dev-admin-key\"");
        Text("scheme typo", "Baerer dev-admin-key");
        Text("only punctuation", "=,;:\\\"'");
        Add("utf-8 letters", [.. "Bearer "u8, .. "ключ-é-🔑"u8]);
        Add("invalid utf-8", [.. "Bearer "u8, 0xFF, 0xFE, 0xC3, 0x28, 0x80]);
        Add("latin-1 bytes", [.. "Bearer "u8, 0xE9, 0xE8, 0xA0]);
        Add("non-ascii scheme", [0xC3, 0xA9, .. " dev-admin-key"u8]);
        Add("control characters", [.. "Bearer "u8, 0x01, 0x02, 0x1B, 0x7F]);
        Add("bell in scheme", [.. "Bea"u8, 0x07, .. "rer dev-admin-key"u8]);
        Add("vertical tab and form feed", [.. "Bearer"u8, 0x0B, 0x0C, .. "dev-admin-key"u8]);
        Add("nul byte", [.. "Bearer dev"u8, 0x00, .. "admin-key"u8]);
        Text("huge token", "Bearer " + new string('k', 16_000));
        Text("huge scheme", new string('B', 16_000) + " key");
        Text("many spaces", "Bearer" + new string(' ', 8_000) + "x");
        return data;
    }

    [Fact]
    public async Task Api_MalformedAuthorizationHeaders_Answer401Each()
    {
        var ct = TestContext.Current.CancellationToken;
        var port = ObservabilityStackTests.FreePort();
        using var process = flowkit.StartProcess("api", new Dictionary<string, string?> { ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}" });
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(60) };
        await Eventually.UntilAsync(() => LiveAsync(client, ct), s => s == HttpStatusCode.OK, TimeSpan.FromSeconds(90), $"the api process to listen; output: {process.Output}");

        // A well-formed key gets in on the same process, so the 401s below are about the header alone.
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", FlowkitFixture.BootstrapKey);
        (await client.GetAsync(new Uri("api/v1/runs", UriKind.Relative), ct)).StatusCode.Should().Be(HttpStatusCode.OK);

        var wrong = new List<string>();
        foreach (var (label, value) in Headers())
        {
            var (status, response) = await SendRawAsync(port, value, ct);
            if (status != 401 || !response.Contains("application/problem+json", StringComparison.Ordinal))
            {
                wrong.Add($"{label}: {response.Split("\r\n\r\n", 2)[0]}");
            }
        }

        wrong.Should().BeEmpty("every malformed Authorization header answers 401 with a problem");
    }

    private static async Task<HttpStatusCode> LiveAsync(HttpClient client, CancellationToken cancellationToken)
    {
        try
        {
            return (await client.GetAsync(new Uri("health/live", UriKind.Relative), cancellationToken)).StatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return HttpStatusCode.ServiceUnavailable;
        }
    }

    private static async Task<(int Status, string Response)> SendRawAsync(int port, byte[] authorization, CancellationToken cancellationToken)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port, cancellationToken);
        var stream = tcp.GetStream();
        byte[] request =
        [
            .. "GET /api/v1/runs HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAuthorization: "u8,
            .. authorization,
            .. "\r\n\r\n"u8,
        ];
        await stream.WriteAsync(request, cancellationToken);
        using var reader = new StreamReader(stream, Encoding.Latin1);
        var response = await reader.ReadToEndAsync(cancellationToken).WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
        var statusLine = response.Split("\r\n", 2)[0];
        var parts = statusLine.Split(' ');
        return (parts.Length > 1 && int.TryParse(parts[1], out var status) ? status : -1, response);
    }
}
