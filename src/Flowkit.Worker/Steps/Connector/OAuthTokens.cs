using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Flowkit.Worker.Steps.Http;

namespace Flowkit.Worker.Steps.Connector;

/// <summary>
/// Access tokens of the OAuth 2.0 client credentials grant, fetched from the connector's token URL through the same
/// guarded HTTP client as the steps (so the SSRF guard applies), and kept in this worker's memory until shortly before
/// they expire. A 401 from the API makes the caller fetch a fresh one once (<see cref="GetAsync"/> with refresh).
/// Tokens are kept per token URL, client and scope; the key is a hash, so no secret is held as a dictionary key.
/// </summary>
internal sealed class OAuthTokens(OutboundHttp http, TimeProvider time)
{
    /// <summary>How long a token is kept when the server does not say (<c>expires_in</c> is only recommended).</summary>
    private static readonly TimeSpan DefaultLifetime = TimeSpan.FromMinutes(5);

    private readonly ConcurrentDictionary<string, CachedToken> _tokens = new(StringComparer.Ordinal);

    /// <summary>A cached token when one is still fresh (and <paramref name="refresh"/> is false), else a new one from the token URL.</summary>
    public async Task<string> GetAsync(OAuthClient client, bool refresh, string idempotencyKey, TimeSpan? timeout, IReadOnlyCollection<string> secrets, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var key = Key(client);
        var now = time.GetUtcNow();
        if (!refresh && _tokens.TryGetValue(key, out var cached) && cached.ExpiresAt > now)
        {
            return cached.Value;
        }

        var form = new StringBuilder("grant_type=client_credentials")
            .Append("&client_id=").Append(Uri.EscapeDataString(client.ClientId))
            .Append("&client_secret=").Append(Uri.EscapeDataString(client.ClientSecret));
        if (!string.IsNullOrWhiteSpace(client.Scope))
        {
            form.Append("&scope=").Append(Uri.EscapeDataString(client.Scope));
        }

        var request = new OutboundRequest(
            "POST", client.TokenUrl, [new("Accept", "application/json")], Encoding.UTF8.GetBytes(form.ToString()), "application/x-www-form-urlencoded");
        var response = await http.SendAsync(request, idempotencyKey + ":oauth-token", timeout, secrets, cancellationToken);
        if (!response.IsSuccessStatus)
        {
            throw new StepFailedException(
                $"The OAuth token endpoint {client.TokenUrl} answered {response.Status} {response.Reason}: {response.Excerpt(200)}. Check the client id and secret the connector reads.",
                response.IsRetryableStatus,
                "oauth_token",
                response.Status);
        }

        string token;
        TimeSpan lifetime;
        try
        {
            using var document = JsonDocument.Parse(response.Body);
            var root = document.RootElement;
            token = root.TryGetProperty("access_token", out var value) && value.ValueKind == JsonValueKind.String && value.GetString()!.Length > 0
                ? value.GetString()!
                : throw new StepFailedException($"The OAuth token endpoint {client.TokenUrl} answered without an access_token.", false, "oauth_token");
            lifetime = root.TryGetProperty("expires_in", out var expires) && expires.ValueKind == JsonValueKind.Number && expires.TryGetDouble(out var seconds) && seconds > 0
                ? TimeSpan.FromSeconds(seconds)
                : DefaultLifetime;
        }
        catch (JsonException)
        {
            throw new StepFailedException($"The OAuth token endpoint {client.TokenUrl} did not answer JSON.", false, "oauth_token");
        }

        // Renew a little before the server's expiry, so a token does not run out between here and the API.
        var margin = TimeSpan.FromSeconds(Math.Min(30, lifetime.TotalSeconds / 10));
        _tokens[key] = new CachedToken(token, time.GetUtcNow() + lifetime - margin);
        return token;
    }

    private static string Key(OAuthClient client) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes($"{client.TokenUrl}\n{client.ClientId}\n{client.ClientSecret}\n{client.Scope}")));

    private sealed record CachedToken(string Value, DateTimeOffset ExpiresAt);
}
