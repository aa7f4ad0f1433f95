using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Flowkit.Definitions;
using Flowkit.Definitions.Connectors;
using Flowkit.Definitions.Expressions;
using Flowkit.Worker.Steps.Http;
using Microsoft.Extensions.Options;

namespace Flowkit.Worker.Steps.Connector;

/// <summary>
/// <c>connector</c>: <c>with: {connector, action, params}</c>, run from the connector version pinned when the workflow
/// was saved (<c>with.resolved</c>, written by <see cref="ConnectorBinding"/>). Params are evaluated, given their
/// defaults and checked against the action's schema (a misfit fails the step, not retryable); then the request is
/// made (path placeholders, query string, JSON body, headers, auth from secrets) and sent through
/// <see cref="OutboundHttp"/>, the machinery of <c>http</c> steps: SSRF guard, Idempotency-Key, time and size limits,
/// the same retryable statuses. The output is the action's <c>output</c> expression over <c>response</c>, or
/// <c>{status, headers, body}</c>.
/// </summary>
internal sealed class ConnectorStep(ExpressionEngine expressions, OutboundHttp http, OAuthTokens tokens, IOptions<HttpStepOptions> options) : IStepExecutor
{
    private static readonly IReadOnlySet<int> NoExtraStatuses = new HashSet<int>();

    public string Type => "connector";

    public async Task<JsonNode?> ExecuteAsync(StepRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var command = request.Command;
        var raw = StepSettings.RawWith(request);
        if (!raw.TryGetProperty("resolved", out var resolved) || resolved.ValueKind != JsonValueKind.Object)
        {
            throw new StepFailedException(
                $"Step {command.StepId} has no connector bound to it; save the workflow again so Flowkit can check it against the connector.", false, "invalid_request");
        }

        var action = raw.TryGetProperty("action", out var a) ? a.GetString() ?? "?" : "?";
        var parameters = Parameters(raw, resolved, action, request.Scope);
        var method = resolved.GetProperty("method").GetString()!;
        var secrets = new List<string>(request.Scope.Secrets?.Values ?? []);
        var url = new StringBuilder(resolved.GetProperty("baseUrl").GetString()!.TrimEnd('/'));
        var used = new HashSet<string>(StringComparer.Ordinal);
        url.Append(ConnectorReader.Placeholder().Replace(resolved.GetProperty("path").GetString()!, match =>
        {
            var name = match.Groups["name"].Value;
            used.Add(name);
            return Uri.EscapeDataString(Text(parameters[name]));
        }));

        var query = new List<KeyValuePair<string, string>>();
        var inQuery = resolved.TryGetProperty("query", out var q) ? q.EnumerateArray().Select(x => x.GetString()!).ToHashSet(StringComparer.Ordinal) : [];
        var hasBody = method is "POST" or "PUT" or "PATCH";
        var body = new JsonObject();
        foreach (var (name, value) in parameters.ToArray())
        {
            if (used.Contains(name) || value is null)
            {
                continue;
            }

            if (!hasBody || inQuery.Contains(name))
            {
                AddQuery(query, name, value);
            }
            else
            {
                body[name] = value.DeepClone();
            }
        }

        var headers = new List<KeyValuePair<string, string>> { new("Accept", "application/json") };
        if (resolved.TryGetProperty("headers", out var fixedHeaders) && expressions.EvaluateTemplate(fixedHeaders, request.Scope) is JsonObject evaluated)
        {
            foreach (var (name, value) in evaluated)
            {
                headers.RemoveAll(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase));
                headers.Add(new(name, value is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : value?.ToJsonString() ?? string.Empty));
            }
        }

        var timeout = command.Deadline is null ? options.Value.Timeout : (TimeSpan?)null;
        var auth = resolved.TryGetProperty("auth", out var authSpec) ? expressions.EvaluateTemplate(authSpec, request.Scope) as JsonObject : null;
        OAuthClient? oauth = null;
        string? token = null;
        if (auth is not null)
        {
            (oauth, token) = await ApplyAuthAsync(auth, headers, query, command.IdempotencyKey, timeout, secrets, cancellationToken);
        }

        var content = hasBody ? Encoding.UTF8.GetBytes(body.ToJsonString()) : null;
        var address = url + (query.Count == 0 ? string.Empty : "?" + string.Join('&', query.Select(p => $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(p.Value)}")));
        var response = await http.SendAsync(new OutboundRequest(method, address, headers, content, hasBody ? "application/json" : null), command.IdempotencyKey, timeout, secrets, cancellationToken);
        if (response.Status == (int)HttpStatusCode.Unauthorized && oauth is not null)
        {
            // The cached token may have been revoked or expired early: fetch a fresh one and try once more.
            token = await tokens.GetAsync(oauth, refresh: true, command.IdempotencyKey, timeout, secrets, cancellationToken);
            secrets.Add(token);
            headers.RemoveAll(h => h.Key.Equals("Authorization", StringComparison.OrdinalIgnoreCase));
            headers.Add(new("Authorization", $"Bearer {token}"));
            response = await http.SendAsync(new OutboundRequest(method, address, headers, content, hasBody ? "application/json" : null), command.IdempotencyKey, timeout, secrets, cancellationToken);
        }

        // A fetched token is a credential too: mask it wherever the answer might echo it.
        var masker = token is null ? SecretMasker.None : new SecretMasker([token]);
        try
        {
            HttpAnswers.EnsureSuccess(response, NoExtraStatuses);
        }
        catch (StepFailedException e) when (!masker.IsEmpty)
        {
            throw new StepFailedException(masker.Apply(e.Message), e.Retryable, e.Code, e.Status ?? 0);
        }

        JsonNode? output = HttpAnswers.Output(response);
        if (resolved.TryGetProperty("output", out var mapping) && mapping.ValueKind == JsonValueKind.String)
        {
            var scope = request.Scope with
            {
                Globals = new Dictionary<string, JsonElement>(StringComparer.Ordinal) { ["response"] = JsonSerializer.SerializeToElement(output) },
            };
            output = expressions.EvaluateExpression(mapping.GetString()!, scope);
        }

        return masker.Apply(output);
    }

    /// <summary>The step's params evaluated, with the schema's defaults, checked against the schema.</summary>
    private JsonObject Parameters(JsonElement raw, JsonElement resolved, string action, ExpressionScope scope)
    {
        var parameters = raw.TryGetProperty("params", out var written)
            ? expressions.EvaluateTemplate(written, scope) as JsonObject ?? throw new StepFailedException("'params' must evaluate to a group of name: value pairs.", false, "invalid_params")
            : new JsonObject();
        if (!resolved.TryGetProperty("params", out var schema))
        {
            return parameters;
        }

        ParamsSchema.ApplyDefaults(schema, parameters);
        var errors = new List<ValidationError>();
        ParamsSchema.Validate(schema, JsonSerializer.SerializeToElement(parameters), "params", deferTemplates: false, errors, action);
        if (errors.Count > 0)
        {
            throw new StepFailedException(
                $"The params of action {action} do not fit its schema: {string.Join("; ", errors.Select(e => $"{e.Path}: {e.Message}"))}",
                false,
                "invalid_params");
        }

        return parameters;
    }

    private async Task<(OAuthClient? Client, string? Token)> ApplyAuthAsync(
        JsonObject auth, List<KeyValuePair<string, string>> headers, List<KeyValuePair<string, string>> query, string idempotencyKey, TimeSpan? timeout,
        List<string> secrets, CancellationToken cancellationToken)
    {
        string Field(string name) => auth[name] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : auth[name]?.ToJsonString() ?? string.Empty;
        switch (Field("type"))
        {
            case AuthTypes.Header:
                headers.Add(new(Field("name"), Field("value")));
                return (null, null);
            case AuthTypes.Bearer:
                headers.Add(new("Authorization", $"Bearer {Field("token")}"));
                return (null, null);
            case AuthTypes.Basic:
                var pair = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Field("username")}:{Field("password")}"));
                secrets.Add(pair);
                headers.Add(new("Authorization", $"Basic {pair}"));
                return (null, null);
            case AuthTypes.Query:
                query.Add(new(Field("name"), Field("value")));
                return (null, null);
            case AuthTypes.OAuth2:
                var client = new OAuthClient(Field("tokenUrl"), Field("clientId"), Field("clientSecret"), auth["scope"] is null ? null : Field("scope"));
                var token = await tokens.GetAsync(client, refresh: false, idempotencyKey, timeout, secrets, cancellationToken);
                secrets.Add(token);
                headers.Add(new("Authorization", $"Bearer {token}"));
                return (client, token);
            default:
                throw new StepFailedException($"The connector's auth type '{Field("type")}' is not known to this worker.", false, "invalid_request");
        }
    }

    private static void AddQuery(List<KeyValuePair<string, string>> query, string name, JsonNode value)
    {
        if (value is JsonArray list)
        {
            foreach (var item in list)
            {
                if (item is not null)
                {
                    query.Add(new(name, Text(item)));
                }
            }

            return;
        }

        query.Add(new(name, Text(value)));
    }

    private static string Text(JsonNode? value) => value switch
    {
        null => string.Empty,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.True => "true",
        JsonValue v when v.GetValueKind() == JsonValueKind.False => "false",
        _ => value.ToJsonString(),
    };
}
