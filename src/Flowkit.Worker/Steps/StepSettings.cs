using System.Text.Json;
using System.Text.Json.Nodes;
using Flowkit.Definitions.Expressions;

namespace Flowkit.Worker.Steps;

/// <summary>Reading a step's <c>with</c> settings on a worker, templates evaluated.</summary>
internal static class StepSettings
{
    /// <summary>The step's <c>with</c> object with every <c>{{ }}</c> evaluated.</summary>
    /// <exception cref="ExpressionException">A template fails.</exception>
    /// <exception cref="StepFailedException">The step has no <c>with</c> object.</exception>
    public static JsonObject EvaluateWith(ExpressionEngine expressions, StepRequest request)
    {
        ArgumentNullException.ThrowIfNull(expressions);
        ArgumentNullException.ThrowIfNull(request);
        var with = RawWith(request);
        return expressions.EvaluateTemplate(with, request.Scope) as JsonObject
            ?? throw new StepFailedException($"Step {request.Command.StepId}: 'with' must be an object.", false, "invalid_request");
    }

    /// <summary>The step's <c>with</c> object as written, templates unevaluated.</summary>
    public static JsonElement RawWith(StepRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.Command.Spec.ValueKind == JsonValueKind.Object
            && request.Command.Spec.TryGetProperty("with", out var with)
            && with.ValueKind == JsonValueKind.Object
                ? with
                : throw new StepFailedException($"Step {request.Command.StepId} of type {request.Command.StepType} has no 'with' settings.", false, "invalid_request");
    }

    /// <summary>A required text setting (numbers and booleans are taken as their text).</summary>
    public static string RequiredText(JsonObject with, string name, string stepId) =>
        OptionalText(with, name) is { Length: > 0 } text
            ? text
            : throw new StepFailedException($"Step {stepId}: '{name}' is empty; it must be text.", false, "invalid_request");

    public static string? OptionalText(JsonObject with, string name)
    {
        ArgumentNullException.ThrowIfNull(with);
        return with[name] switch
        {
            null => null,
            JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>(),
            JsonValue value => value.ToJsonString(),
            var other => throw new StepFailedException($"'{name}' must be text, but it evaluated to {other.GetValueKind().ToString().ToLowerInvariant()}.", false, "invalid_request"),
        };
    }
}
