using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Flowkit.Definitions;
using Flowkit.Definitions.Expressions;
using Microsoft.AspNetCore.Http;

namespace Flowkit.Api.Ingress;

/// <summary>
/// The pure parts of a webhook delivery: reading the body within its size limit, checking the signature, building
/// the run input <c>{body, headers, query}</c> without credentials, and deriving the delivery key.
/// </summary>
internal static partial class WebhookDelivery
{
    public const string SignatureHeader = "X-Flowkit-Signature";
    private const string SignaturePrefix = "sha256=";
    private const int MaxIdempotencyKeyLength = 200;
    private const int MaxExpressionKeyLength = 200;

    // Never copied into a run: credentials and signatures (exact names) ...
    private static readonly HashSet<string> SensitiveHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "authorization", "proxy-authorization", "cookie", "set-cookie", "x-flowkit-signature", "x-hub-signature",
        "x-hub-signature-256", "x-signature", "x-api-key", "api-key", "x-auth-token", "x-csrf-token", "x-xsrf-token",
        "x-amz-security-token", "x-goog-iap-jwt-assertion",
    };

    private static readonly HashSet<string> ObjectPrototype = new(StringComparer.Ordinal)
    {
        "constructor", "__proto__", "toString", "toLocaleString", "valueOf", "hasOwnProperty", "isPrototypeOf",
        "propertyIsEnumerable", "__defineGetter__", "__defineSetter__", "__lookupGetter__", "__lookupSetter__",
    };

    // ... and any header whose name says it carries one.
    private static readonly string[] SensitiveFragments = ["auth", "token", "secret", "signature", "password", "cookie", "session", "api-key", "apikey"];

    /// <summary>Reads the body; null when it is longer than <paramref name="limit"/> bytes (answer 413).</summary>
    public static async Task<byte[]?> ReadBodyAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ContentLength > limit)
        {
            return null;
        }

        if (request.ContentLength is { } length)
        {
            var exact = new byte[length];
            var read = 0;
            while (read < length)
            {
                var n = await request.Body.ReadAsync(exact.AsMemory(read), cancellationToken);
                if (n == 0)
                {
                    return exact[..read];
                }

                read += n;
            }

            return exact;
        }

        // Chunked: read up to one byte past the limit to tell "exactly the limit" from "over it".
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Min(limit + 1, 64 * 1024));
        try
        {
            using var body = new MemoryStream();
            int count;
            while ((count = await request.Body.ReadAsync(buffer, cancellationToken)) > 0)
            {
                await body.WriteAsync(buffer.AsMemory(0, count), cancellationToken);
                if (body.Length > limit)
                {
                    return null;
                }
            }

            return body.ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Checks the body is one JSON value PostgreSQL can store; null if so, else what is wrong.</summary>
    public static string? CheckJson(ReadOnlySpan<byte> body)
    {
        if (body.IsEmpty)
        {
            return null;
        }

        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 64 });
            reader.Read();
            reader.Skip();
            if (reader.Read())
            {
                return "The body has more than one JSON value.";
            }
        }
        catch (JsonException e)
        {
            return $"The body is not valid JSON: {e.Message}";
        }

        // jsonb cannot hold the NUL character; refuse it here rather than fail at the insert.
        return body.IndexOf("\\u0000"u8) >= 0 ? "The body contains the character \\u0000, which cannot be stored." : null;
    }

    /// <summary>
    /// Checks <c>X-Flowkit-Signature</c> against the raw <paramref name="body"/>, in constant time. Two schemes:
    /// the timestamped <c>t=&lt;unix seconds&gt;,v1=&lt;hex HMAC-SHA256 of "&lt;t&gt;.&lt;raw body&gt;"&gt;</c> (several
    /// <c>v1</c> may be given, for a secret being rotated), valid while <c>t</c> is within <paramref name="tolerance"/>
    /// of <paramref name="now"/>; and, unless <paramref name="required"/> is <see cref="WebhookSignature.Timestamped"/>,
    /// the plain <c>sha256=&lt;hex HMAC-SHA256 of the raw body&gt;</c> that senders like GitHub use.
    /// </summary>
    public static SignatureCheck CheckSignature(
        string? header, ReadOnlySpan<byte> body, string secret, WebhookSignature required, DateTimeOffset now, TimeSpan tolerance)
    {
        ArgumentNullException.ThrowIfNull(secret);
        if (string.IsNullOrWhiteSpace(header))
        {
            return SignatureCheck.Missing;
        }

        var text = header.Trim();
        if (text.StartsWith(SignaturePrefix, StringComparison.OrdinalIgnoreCase))
        {
            if (required == WebhookSignature.Timestamped)
            {
                return SignatureCheck.TimestampRequired;
            }

            Span<byte> expected = stackalloc byte[HMACSHA256.HashSizeInBytes];
            HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body, expected);
            return HexEquals(text.AsSpan(SignaturePrefix.Length).Trim(), expected) ? SignatureCheck.Valid : SignatureCheck.Mismatch;
        }

        long? timestamp = null;
        var candidates = new List<string>(1);
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                return SignatureCheck.Mismatch;
            }

            var name = part[..equals].Trim();
            var value = part[(equals + 1)..].Trim();
            if (name == "t")
            {
                if (timestamp is not null || !long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
                {
                    return SignatureCheck.Mismatch;
                }

                timestamp = seconds;
            }
            else if (name == "v1")
            {
                candidates.Add(value);
            }

            // Other names (future schemes) are ignored, so a sender can send old and new signatures side by side.
        }

        if (timestamp is null || candidates.Count == 0)
        {
            return SignatureCheck.Mismatch;
        }

        // The HMAC first, so an unsigned guess learns nothing about the clock; then the window.
        Span<byte> signed = stackalloc byte[HMACSHA256.HashSizeInBytes];
        TimestampedHmac(body, secret, timestamp.Value, signed);
        var matched = false;
        foreach (var candidate in candidates)
        {
            matched |= HexEquals(candidate, signed);
        }

        if (!matched)
        {
            return SignatureCheck.Mismatch;
        }

        var age = now.ToUnixTimeSeconds() - timestamp.Value;
        return Math.Abs(age) > (long)Math.Ceiling(tolerance.TotalSeconds) ? SignatureCheck.OutsideTolerance : SignatureCheck.Valid;
    }

    /// <summary>The value of <c>X-Flowkit-Signature</c> for <paramref name="body"/> in the plain scheme (for senders and tests).</summary>
    public static string Sign(ReadOnlySpan<byte> body, string secret) =>
        SignaturePrefix + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    /// <summary>The value of <c>X-Flowkit-Signature</c> for <paramref name="body"/> sent at <paramref name="at"/>, timestamped scheme.</summary>
    public static string SignTimestamped(ReadOnlySpan<byte> body, string secret, DateTimeOffset at)
    {
        var seconds = at.ToUnixTimeSeconds();
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        TimestampedHmac(body, secret, seconds, mac);
        return string.Create(CultureInfo.InvariantCulture, $"t={seconds},v1={Convert.ToHexStringLower(mac)}");
    }

    private static void TimestampedHmac(ReadOnlySpan<byte> body, string secret, long seconds, Span<byte> destination)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(secret));
        hmac.AppendData(Encoding.ASCII.GetBytes(seconds.ToString(CultureInfo.InvariantCulture) + "."));
        hmac.AppendData(body);
        hmac.GetHashAndReset(destination);
    }

    private static bool HexEquals(ReadOnlySpan<char> hex, ReadOnlySpan<byte> expected)
    {
        if (hex.Length != expected.Length * 2)
        {
            return false;
        }

        Span<byte> given = stackalloc byte[HMACSHA256.HashSizeInBytes];
        return Convert.FromHexString(hex, given, out _, out var written) == OperationStatus.Done
            && written == expected.Length
            && CryptographicOperations.FixedTimeEquals(given[..written], expected);
    }

    /// <summary>The secret name a trigger's <c>secret</c> template reads, or null when it is not a plain reference.</summary>
    public static string? SecretName(string template)
    {
        var match = SecretReference().Match(template);
        return !match.Success ? null : match.Groups["dot"].Success ? match.Groups["dot"].Value : match.Groups["index"].Value;
    }

    public static bool IsSensitiveHeader(string name)
    {
        if (SensitiveHeaders.Contains(name))
        {
            return true;
        }

        foreach (var fragment in SensitiveFragments)
        {
            if (name.Contains(fragment, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The run input: <c>{body, headers, query}</c>, header names lowercased, credentials left out.</summary>
    public static byte[] BuildInput(ReadOnlySpan<byte> body, IHeaderDictionary headers, IQueryCollection query)
    {
        ArgumentNullException.ThrowIfNull(headers);
        ArgumentNullException.ThrowIfNull(query);
        var buffer = new ArrayBufferWriter<byte>(body.Length + 512);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WritePropertyName("body");
            if (body.IsEmpty)
            {
                writer.WriteNullValue();
            }
            else
            {
                // Checked by CheckJson; kept as the sender wrote it.
                writer.WriteRawValue(body, skipInputValidation: true);
            }

            writer.WriteStartObject("headers");
            foreach (var (name, values) in headers)
            {
                if (!IsSensitiveHeader(name))
                {
                    writer.WriteString(name.ToLowerInvariant(), values.ToString());
                }
            }

            writer.WriteEndObject();
            writer.WriteStartObject("query");
            foreach (var (name, values) in query)
            {
                if (values.Count == 1)
                {
                    writer.WriteString(name, values[0]);
                }
                else
                {
                    writer.WriteStartArray(name);
                    foreach (var value in values)
                    {
                        writer.WriteStringValue(value);
                    }

                    writer.WriteEndArray();
                }
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Validates an <c>Idempotency-Key</c> header; null when acceptable, else the problem.</summary>
    public static string? CheckIdempotencyKey(string key) =>
        key.Length > MaxIdempotencyKeyLength ? $"The Idempotency-Key header is longer than {MaxIdempotencyKeyLength} characters." : null;

    /// <summary>
    /// Where a hook's delivery keys are unique (<c>run_requests.scope</c> and the Redis key): the workflow and the hook
    /// key, so a new workflow that reuses an archived workflow's hook key starts from no deliveries (issue 19).
    /// </summary>
    public static string Scope(Guid workflowId, string hookKey) => $"hook:{workflowId:N}:{hookKey}";

    /// <summary>The delivery key from an <c>Idempotency-Key</c> header.</summary>
    public static string KeyFromHeader(string idempotencyKey) => "idem:" + idempotencyKey;

    /// <summary>The delivery key from the body's SHA-256.</summary>
    public static string KeyFromBody(ReadOnlySpan<byte> body) => "body:" + Convert.ToHexStringLower(SHA256.HashData(body));

    /// <summary>
    /// The delivery key from the trigger's <c>dedupe</c> expression, evaluated with <c>body</c>, <c>headers</c> and
    /// <c>query</c> in scope (and <c>input</c>, the same three); null when it gives null or undefined.
    /// </summary>
    /// <exception cref="ExpressionException">The expression fails.</exception>
    public static string? KeyFromExpression(ExpressionEngine expressions, string dedupe, byte[] input, string workflow, int version)
    {
        ArgumentNullException.ThrowIfNull(expressions);
        ArgumentNullException.ThrowIfNull(dedupe);
        var text = dedupe.Trim();
        if (text.StartsWith("{{", StringComparison.Ordinal) && text.EndsWith("}}", StringComparison.Ordinal))
        {
            text = text[2..^2].Trim();
        }

        if (PathKey(text, input) is { } fast)
        {
            return fast.Length == 0 ? null : fast;
        }

        // The expression names the request's parts directly (body.id); bind them as parameters of a wrapper (the
        // wrapper's text is constant per trigger, so it is parsed once and cached like any expression).
        var wrapped = $"((body, headers, query) => ({text}))(input.body, input.headers, input.query)";
        using var document = JsonDocument.Parse(input);
        var scope = new ExpressionScope(document.RootElement, new Dictionary<string, JsonElement>(), new RunInfo(Guid.Empty, workflow, version, 1));
        var value = expressions.EvaluateExpression(wrapped, scope);
        if (value is null)
        {
            return null;
        }

        return ExpressionKey(value is JsonValue scalar && scalar.TryGetValue<string>(out var s) ? s : value.ToJsonString());
    }

    private static string ExpressionKey(string value) =>
        value.Length <= MaxExpressionKeyLength
            ? "expr:" + value
            : "expr#" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)));

    /// <summary>
    /// The hot path for the usual dedupe expressions, plain property paths such as <c>body.id</c> or
    /// <c>headers["x-github-delivery"]</c>: read straight from the JSON, no script engine. Returns the key, "" for
    /// null or undefined, or null when the path is not a plain one or meets anything but objects and a string or
    /// null at its end (numbers, lists, <c>.length</c> and the like go to the engine, so results never differ).
    /// </summary>
    private static string? PathKey(string expression, byte[] input)
    {
        var match = PlainPath().Match(expression);
        if (!match.Success)
        {
            return null;
        }

        using var document = JsonDocument.Parse(input);
        var root = document.RootElement;
        var current = match.Groups["root"].Value == "input" ? root : root.GetProperty(match.Groups["root"].Value);
        foreach (Capture step in match.Groups["step"].Captures)
        {
            if (current.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            var name = step.Value[0] == '.' ? step.Value[1..] : step.Value[2..^2];
            if (!current.TryGetProperty(name, out current))
            {
                // Missing is undefined, unless JavaScript would find it on Object.prototype.
                return ObjectPrototype.Contains(name) ? null : "";
            }
        }

        return current.ValueKind switch
        {
            JsonValueKind.String => ExpressionKey(current.GetString()!),
            JsonValueKind.Null => "",
            _ => null,
        };
    }

    // body.id, headers["x-delivery"], query.event, input.body.order.id: names and quoted keys, nothing else.
    [GeneratedRegex("""^(?<root>body|headers|query|input)(?<step>\.[A-Za-z_$][A-Za-z0-9_$]*|\["[^"\\]*"\]|\['[^'\\]*'\])*$""")]
    private static partial Regex PlainPath();

    [GeneratedRegex("""^\{\{\s*secrets\s*(?:\.\s*(?<dot>[A-Za-z_$][A-Za-z0-9_$]*)|\[\s*["'](?<index>[^"']+)["']\s*\])\s*\}\}$""")]
    private static partial Regex SecretReference();
}
