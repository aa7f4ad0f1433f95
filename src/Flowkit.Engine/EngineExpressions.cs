using System.Globalization;
using System.Text.Json;
using Flowkit.Definitions.Expressions;
using Flowkit.Definitions;
using Flowkit.Sagas;
using Flowkit.Sagas.Planning;

namespace Flowkit.Engine;

/// <summary>The expressions the engine evaluates itself (delays and approvals wait in the engine, not on workers).</summary>
internal sealed class EngineExpressions(ExpressionEngine expressions) : IEngineExpressions
{
    public DateTimeOffset DelayUntil(PlanStep planStep, RunState run, IReadOnlyDictionary<string, JsonElement> outputs, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(planStep);
        if (planStep.Spec.TryGetProperty("for", out var forValue) && forValue.GetString() is { } text)
        {
            return Durations.TryParse(text, out var duration)
                ? now + duration
                : throw new FormatException($"'{text}' is not a duration.");
        }

        var until = planStep.Spec.GetProperty("until");
        var value = expressions.EvaluateTemplate(until, Scope(run, outputs));
        var textValue = value?.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : value?.ToJsonString();
        return DateTimeOffset.TryParse(textValue, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            ? at
            : throw new FormatException($"'until' gave '{textValue}', which is not a date and time like 2030-01-01T09:00:00Z.");
    }

    public string ApprovalMessage(PlanStep planStep, RunState run, IReadOnlyDictionary<string, JsonElement> outputs)
    {
        ArgumentNullException.ThrowIfNull(planStep);
        var value = expressions.EvaluateTemplate(planStep.Spec.GetProperty("message"), Scope(run, outputs));
        return value?.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : value?.ToJsonString() ?? "";
    }

    public JsonElement ForEachItems(PlanStep planStep, RunState run, IReadOnlyDictionary<string, JsonElement> outputs)
    {
        ArgumentNullException.ThrowIfNull(planStep);
        using var template = JsonDocument.Parse(JsonSerializer.Serialize(planStep.ForEach));
        var value = expressions.EvaluateTemplate(template.RootElement, Scope(run, outputs));
        return value is null ? JsonSerializer.SerializeToElement<object?>(null) : JsonSerializer.SerializeToElement(value);
    }

    private static ExpressionScope Scope(RunState run, IReadOnlyDictionary<string, JsonElement> outputs) =>
        new(JsonSerializer.Deserialize<JsonElement>(run.Input), outputs, new RunInfo(run.CorrelationId, run.Workflow, run.Version, run.Attempt));
}
