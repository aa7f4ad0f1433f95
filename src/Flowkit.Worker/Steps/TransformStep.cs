using System.Text.Json;
using System.Text.Json.Nodes;
using Flowkit.Definitions.Expressions;

namespace Flowkit.Worker.Steps;

/// <summary><c>transform</c>: the output is the step's <c>with</c> object with its templates evaluated.</summary>
internal sealed class TransformStep(ExpressionEngine expressions) : IStepExecutor
{
    public string Type => "transform";

    public Task<JsonNode?> ExecuteAsync(StepRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var with = request.Command.Spec.TryGetProperty("with", out var w) ? w : default;
        if (with.ValueKind == JsonValueKind.Undefined)
        {
            return Task.FromResult<JsonNode?>(new JsonObject());
        }

        return Task.FromResult(expressions.EvaluateTemplate(with, request.Scope));
    }
}
