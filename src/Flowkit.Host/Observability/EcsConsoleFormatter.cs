using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace Flowkit.Host.Observability;

/// <summary>
/// Writes each log entry as one JSON object per line with Elastic Common Schema field names: <c>@timestamp</c>,
/// <c>log.level</c>, <c>message</c>, <c>ecs.version</c>, <c>service.name</c>, <c>log.logger</c>, <c>event.code</c>,
/// <c>trace.id</c> and <c>span.id</c> of the current activity, <c>error.*</c>, and Flowkit's own fields from the
/// message's and its scopes' properties (<c>RunId</c> becomes <c>flowkit.run_id</c>; see <see cref="FieldName"/>).
/// Keys are written dotted and flat, as ECS loggers do; Filebeat expands them (deploy/logging/filebeat.yml).
/// </summary>
internal sealed class EcsConsoleFormatter : ConsoleFormatter
{
    public const string FormatterName = "ecs";
    public const string EcsVersion = "8.11.0";

    private readonly IOptionsMonitor<EcsConsoleFormatterOptions> _options;
    private readonly TimeProvider _time;

    /// <summary>The log's clock is the host's <see cref="TimeProvider"/>, so a line's time agrees with the times it logs.</summary>
    public EcsConsoleFormatter(IOptionsMonitor<EcsConsoleFormatterOptions> options, TimeProvider time)
        : base(FormatterName)
    {
        _options = options;
        _time = time;
    }

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        ArgumentNullException.ThrowIfNull(textWriter);
        var message = logEntry.Formatter?.Invoke(logEntry.State, logEntry.Exception);
        if (message is null && logEntry.Exception is null)
        {
            return;
        }

        var buffer = new ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false, SkipValidation = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("@timestamp", _time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture));
            json.WriteString("log.level", Level(logEntry.LogLevel));
            json.WriteString("message", message ?? logEntry.Exception!.Message);
            json.WriteString("ecs.version", EcsVersion);
            json.WriteString("service.name", _options.CurrentValue.ServiceName);
            json.WriteString("log.logger", logEntry.Category);
            if (logEntry.EventId.Id != 0)
            {
                json.WriteString("event.code", logEntry.EventId.Id.ToString(CultureInfo.InvariantCulture));
            }

            if (Activity.Current is { } activity)
            {
                json.WriteString("trace.id", activity.TraceId.ToHexString());
                json.WriteString("span.id", activity.SpanId.ToHexString());
            }

            if (logEntry.Exception is { } exception)
            {
                json.WriteString("error.type", exception.GetType().FullName);
                json.WriteString("error.message", exception.Message);
                json.WriteString("error.stack_trace", exception.ToString());
            }

            // The message's own properties win over a scope's of the same name; each field is written once.
            var written = new HashSet<string>(StringComparer.Ordinal);
            if (logEntry.State is IReadOnlyList<KeyValuePair<string, object?>> properties)
            {
                WriteProperties(json, properties, written);
            }

            scopeProvider?.ForEachScope(
                (scope, state) =>
                {
                    if (scope is IEnumerable<KeyValuePair<string, object?>> nullable)
                    {
                        WriteProperties(state.Json, nullable, state.Written);
                    }
                    else if (scope is IEnumerable<KeyValuePair<string, object>> values)
                    {
                        WriteProperties(state.Json, values.Select(p => new KeyValuePair<string, object?>(p.Key, p.Value)), state.Written);
                    }
                },
                (Json: json, Written: written));
            json.WriteEndObject();
        }

        textWriter.Write(Encoding.UTF8.GetString(buffer.WrittenSpan));
        textWriter.Write('\n');
    }

    private static void WriteProperties(Utf8JsonWriter json, IEnumerable<KeyValuePair<string, object?>> properties, HashSet<string> written)
    {
        foreach (var (key, value) in properties)
        {
            if (value is null || FieldName(key) is not { } field || !written.Add(field))
            {
                continue;
            }

            if (field.StartsWith("labels.", StringComparison.Ordinal))
            {
                // ECS labels are keywords: one type per field across all lines, whatever the value.
                json.WriteString(field, Convert.ToString(value, CultureInfo.InvariantCulture));
                continue;
            }

            switch (value)
            {
                case int or long or short or byte or uint or ulong or double or float or decimal:
                    json.WritePropertyName(field);
                    json.WriteRawValue(Convert.ToString(value, CultureInfo.InvariantCulture)!, skipInputValidation: true);
                    break;
                case bool b:
                    json.WriteBoolean(field, b);
                    break;
                case DateTimeOffset at:
                    json.WriteString(field, at.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
                    break;
                default:
                    json.WriteString(field, Convert.ToString(value, CultureInfo.InvariantCulture));
                    break;
            }
        }
    }

    /// <summary>
    /// The ECS field of a log property: Flowkit's names (CONVENTIONS.md: one name per field) map to <c>flowkit.*</c>,
    /// a few well-known ones to their ECS fields, anything else to <c>labels.*</c>. Null for properties that are
    /// already in the line (the template, ASP.NET Core's trace ids).
    /// </summary>
    internal static string? FieldName(string property) => property switch
    {
        "{OriginalFormat}" or "TraceId" or "SpanId" or "ParentId" => null,
        "RunId" => "flowkit.run_id",
        "StepId" => "flowkit.step_id",
        "Workflow" => "flowkit.workflow",
        "Workspace" => "flowkit.workspace",
        "Version" => "flowkit.version",
        "Attempt" => "flowkit.attempt",
        "StepType" => "flowkit.step_type",
        "EventType" => "flowkit.event",
        "Details" => "flowkit.details",
        "RequestPath" => "url.path",
        "RequestId" => "http.request.id",
        _ => "labels." + property,
    };

    private static string Level(LogLevel level) => level switch
    {
        LogLevel.Trace => "trace",
        LogLevel.Debug => "debug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "error",
        LogLevel.Critical => "critical",
        _ => "none",
    };
}
