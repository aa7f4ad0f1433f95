using System.Text.Json;
using System.Text.Json.Nodes;
using Flowkit.Definitions.Expressions;

namespace Flowkit.Worker.Steps.Script;

/// <summary>
/// <c>script</c>: runs <c>with.code</c>, a JavaScript function body that sees <c>input</c>, <c>steps</c>, <c>run</c>
/// and <c>secrets</c>; its return value is the output. It runs in the expression engine's sandbox under the
/// <see cref="ExpressionOptions"/> limits (time, memory, statements, recursion, no CLR access); a script that
/// goes over one fails this step, without retry, and the sandbox it ran in is discarded.
/// </summary>
internal sealed class ScriptStep(ExpressionEngine expressions) : IStepExecutor
{
    public string Type => "script";

    public Task<JsonNode?> ExecuteAsync(StepRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var with = StepSettings.RawWith(request);
        var code = with.TryGetProperty("code", out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        if (string.IsNullOrWhiteSpace(code))
        {
            throw new StepFailedException($"Script {request.Command.StepId} has no code.", false, "invalid_request");
        }

        try
        {
            // The code is run as written, not as a template: "{{" inside it is ordinary JavaScript.
            return Task.FromResult(expressions.RunScript(code, request.Scope));
        }
        catch (ExpressionException e) when (e.IsLimitExceeded)
        {
            throw new StepFailedException(e.Message, false, "script_limit", e);
        }
        catch (ExpressionException e)
        {
            throw new StepFailedException(e.Message, false, "script", e);
        }
    }
}
