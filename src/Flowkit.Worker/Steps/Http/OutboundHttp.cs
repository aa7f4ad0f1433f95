using System.Globalization;
using System.Security.Authentication;
using Microsoft.Extensions.Options;

namespace Flowkit.Worker.Steps.Http;

/// <summary>One outbound request of a step, before any redirect.</summary>
/// <param name="Method">GET, POST, ...</param>
/// <param name="Url">The address as the step wrote it (after templates), absolute http or https.</param>
/// <param name="Headers">Request headers in the order given.</param>
/// <param name="Body">The body bytes, or null for none.</param>
/// <param name="ContentType">The body's content type, when there is a body.</param>
internal sealed record OutboundRequest(
    string Method,
    string Url,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    byte[]? Body,
    string? ContentType);

/// <summary>The final response (after redirects), its body read in full within the size limit.</summary>
internal sealed record OutboundResponse(
    int Status,
    string? Reason,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    byte[] Body,
    string? MediaType,
    string Description)
{
    /// <summary>5xx, 429 (too many requests) and 408 (request timeout) may pass on another attempt.</summary>
    public bool IsRetryableStatus => Status >= 500 || Status is 429 or 408;

    public bool IsSuccessStatus => Status is >= 200 and < 300;

    public string BodyText()
    {
        // Charset aside, text is read as UTF-8: invalid bytes become U+FFFD rather than failing the step.
        return System.Text.Encoding.UTF8.GetString(Body);
    }

    /// <summary>A short piece of the body for error messages.</summary>
    public string Excerpt(int length = 300)
    {
        var text = BodyText().ReplaceLineEndings(" ").Trim();
        return text.Length <= length ? text : string.Concat(text.AsSpan(0, length), "...");
    }
}

/// <summary>
/// The outbound HTTP that <c>http</c> and <c>notify</c> steps share: the guarded, pooled named client, the
/// per-attempt time limit, redirects (followed here, not by the handler, so credentials are not carried to another
/// origin), the response size limit, and the classification of failures as retryable or not.
/// </summary>
internal sealed class OutboundHttp(IHttpClientFactory clients, IOptions<HttpStepOptions> options, TimeProvider time)
{
    public const string ClientName = "flowkit-steps";

    private static readonly HashSet<string> ReservedHeaders =
        new(["Content-Length", "Transfer-Encoding", "Connection", "Host", "Upgrade", "TE", "Trailer", "Keep-Alive", "Proxy-Connection"], StringComparer.OrdinalIgnoreCase);

    private static readonly HashSet<string> CredentialHeaders =
        new(["Authorization", "Proxy-Authorization", "Cookie"], StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Sends <paramref name="request"/> and follows redirects. Fails with <see cref="StepFailedException"/> on
    /// connection errors and timeouts (retryable), refused addresses, TLS failures, too many redirects and too large
    /// responses (not retryable). HTTP error statuses are returned, not thrown: the caller decides.
    /// </summary>
    /// <param name="request">The request.</param>
    /// <param name="idempotencyKey">Sent as <c>Idempotency-Key</c> unless the request sets that header itself.</param>
    /// <param name="timeout">The attempt's time limit, or null when the caller's token already carries one.</param>
    /// <param name="secretValues">Values that must not follow a redirect to another origin in any header.</param>
    /// <param name="cancellationToken">Cancels the attempt (shutdown, deadline).</param>
    public async Task<OutboundResponse> SendAsync(
        OutboundRequest request,
        string idempotencyKey,
        TimeSpan? timeout,
        IReadOnlyCollection<string> secretValues,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(secretValues);
        var settings = options.Value;
        var url = ParseUrl(request.Url);
        var limit = timeout ?? settings.Timeout;
        using var timeoutSource = timeout is null ? null : new CancellationTokenSource(limit, time);
        using var linked = timeoutSource is null ? null : CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutSource.Token);
        var token = linked?.Token ?? cancellationToken;

        var client = clients.CreateClient(ClientName);
        var method = new HttpMethod(request.Method);
        var headers = request.Headers;
        var body = request.Body;
        var description = $"{request.Method} {request.Url}";
        try
        {
            for (var redirects = 0; ; redirects++)
            {
                using var message = Build(method, url, headers, body, request.ContentType, idempotencyKey);
                using var response = await client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, token);
                var status = (int)response.StatusCode;
                if (settings.MaxRedirects > 0 && status is 301 or 302 or 303 or 307 or 308 && response.Headers.Location is { } location)
                {
                    if (redirects >= settings.MaxRedirects)
                    {
                        throw new StepFailedException(
                            $"{description} was redirected more than {settings.MaxRedirects} times ({HttpStepOptions.Section}:MaxRedirects); last to {location}.",
                            false,
                            "too_many_redirects");
                    }

                    var next = new Uri(url, location);
                    if (next.Scheme != Uri.UriSchemeHttp && next.Scheme != Uri.UriSchemeHttps)
                    {
                        throw new StepFailedException($"{description} was redirected to '{next}', which is not an http or https address.", false, "redirect");
                    }

                    // 303, and 301/302 after a POST, continue as GET without a body (what browsers and curl do).
                    var becomesGet = (status == 303 && method != HttpMethod.Head) || (status is 301 or 302 && method == HttpMethod.Post);
                    if (becomesGet)
                    {
                        method = HttpMethod.Get;
                        body = null;
                    }

                    if (!SameOrigin(url, next))
                    {
                        headers = headers.Where(h => !CredentialHeaders.Contains(h.Key) && !secretValues.Any(s => s.Length > 0 && h.Value.Contains(s, StringComparison.Ordinal))).ToArray();
                    }

                    description = $"{request.Method} {request.Url} (redirected to {next.OriginalString})";
                    url = next;
                    continue;
                }

                var bytes = await ReadBodyAsync(response, description, settings.MaxResponseBytes, token);
                return new OutboundResponse(
                    status,
                    response.ReasonPhrase,
                    ResponseHeaders(response),
                    bytes,
                    response.Content.Headers.ContentType?.MediaType,
                    description);
            }
        }
        catch (OperationCanceledException) when (timeoutSource?.IsCancellationRequested == true && !cancellationToken.IsCancellationRequested)
        {
            throw new StepFailedException(
                $"{description} did not answer within {Seconds(limit)} (the default from {HttpStepOptions.Section}:Timeout; give the step a 'timeout' to change it).",
                true,
                "timeout");
        }
        catch (HttpRequestException e)
        {
            throw Classify(e, description);
        }
        catch (HttpIOException e)
        {
            throw new StepFailedException($"{description} failed while reading the response: {e.Message}", true, "connection", e);
        }
    }

    private static Uri ParseUrl(string text)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            throw new StepFailedException($"The url '{text}' is not a full http or https address, like https://api.example.com/items.", false, "invalid_request");
        }

        return url;
    }

    private static HttpRequestMessage Build(
        HttpMethod method,
        Uri url,
        IReadOnlyList<KeyValuePair<string, string>> headers,
        byte[]? body,
        string? contentType,
        string idempotencyKey)
    {
        var message = new HttpRequestMessage(method, url)
        {
            // HTTP/3 runs over QUIC, which does not pass through ConnectCallback and so not through the SSRF guard:
            // never upgrade past the version asked for (HTTP/1.1; HTTP/2 only by negotiation on the guarded TCP connection).
            Version = System.Net.HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };
        try
        {
            if (body is not null)
            {
                message.Content = new ByteArrayContent(body);
                if (contentType is not null)
                {
                    message.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
                }
            }

            foreach (var (name, value) in headers)
            {
                if (ReservedHeaders.Contains(name))
                {
                    throw new StepFailedException($"The header '{name}' is set by the HTTP client; remove it from the step's headers.", false, "invalid_request");
                }

                if (IsContentHeader(name))
                {
                    if (message.Content is not null)
                    {
                        message.Content.Headers.Remove(name);
                        message.Content.Headers.TryAddWithoutValidation(name, value);
                    }

                    continue;
                }

                if (!message.Headers.TryAddWithoutValidation(name, value))
                {
                    throw new StepFailedException($"'{name}' is not a valid HTTP header name.", false, "invalid_request");
                }
            }

            if (!message.Headers.Contains("Idempotency-Key"))
            {
                message.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
            }

            if (!message.Headers.Contains("User-Agent"))
            {
                message.Headers.TryAddWithoutValidation("User-Agent", "Flowkit");
            }

            return message;
        }
        catch
        {
            message.Dispose();
            throw;
        }
    }

    private static bool IsContentHeader(string name) =>
        name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Expires", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Last-Modified", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Allow", StringComparison.OrdinalIgnoreCase);

    private static bool SameOrigin(Uri a, Uri b) =>
        a.Scheme == b.Scheme && string.Equals(a.IdnHost, b.IdnHost, StringComparison.OrdinalIgnoreCase) && a.Port == b.Port;

    private static async Task<byte[]> ReadBodyAsync(HttpResponseMessage response, string description, long limit, CancellationToken cancellationToken)
    {
        if (response.Content.Headers.ContentLength is { } declared && declared > limit && response.Content.Headers.ContentEncoding.Count == 0)
        {
            throw TooLarge(description, limit, $"it declares {Size(declared)}");
        }

        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                throw TooLarge(description, limit, "it went on past that");
            }

            await buffer.WriteAsync(chunk.AsMemory(0, read), cancellationToken);
        }

        return buffer.ToArray();
    }

    private static StepFailedException TooLarge(string description, long limit, string detail) =>
        new($"The response of {description} is larger than the {Size(limit)} limit ({detail}). Ask the target for less (paging, filters) or raise {HttpStepOptions.Section}:MaxResponseBytes.",
            false,
            "response_too_large");

    private static List<KeyValuePair<string, string>> ResponseHeaders(HttpResponseMessage response)
    {
        var all = new List<KeyValuePair<string, string>>();
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
        {
            all.Add(new(name.ToLowerInvariant(), string.Join(", ", values)));
        }

        return all;
    }

    private static StepFailedException Classify(HttpRequestException e, string description)
    {
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
        {
            switch (inner)
            {
                case BlockedAddressException blocked:
                    return new StepFailedException($"{description}: {blocked.Message}", false, "ssrf_blocked");
                case AuthenticationException tls:
                    return new StepFailedException($"{description} failed: the TLS connection could not be set up ({tls.Message}).", false, "tls");
            }
        }

        var what = e.HttpRequestError switch
        {
            HttpRequestError.NameResolutionError => "the host name could not be resolved",
            HttpRequestError.ConnectionError => "could not connect",
            _ => "the request failed",
        };
        return new StepFailedException($"{description} failed: {what} ({e.Message}).", true, "connection", e);
    }

    internal static string Size(long bytes) => bytes switch
    {
        >= 1024 * 1024 when bytes % (1024 * 1024) == 0 => $"{bytes / (1024 * 1024)} MiB",
        >= 1024 when bytes % 1024 == 0 => $"{bytes / 1024} KiB",
        _ => $"{bytes.ToString("N0", CultureInfo.InvariantCulture)} bytes",
    };

    private static string Seconds(TimeSpan time) => time.TotalSeconds >= 1
        ? $"{time.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s"
        : $"{time.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture)} ms";
}
