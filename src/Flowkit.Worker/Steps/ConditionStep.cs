using System.Text.Json.Nodes;
using Flowkit.Definitions.Expressions;

namespace Flowkit.Worker.Steps;

/// <summary><c>condition</c>: evaluates <c>if</c>; the output is <c>{result}</c> and the engine takes that branch.</summary>
internal sealed class ConditionStep(ExpressionEngine expressions) : IStepExecutor
{
    public string Type => "condition";

    public Task<JsonNode?> ExecuteAsync(StepRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var expression = request.Command.Spec.GetProperty("if").GetString() ?? "false";
        var result = expressions.EvaluateCondition(expression, request.Scope);
        return Task.FromResult<JsonNode?>(new JsonObject { ["result"] = result });
    }
}
