using System.Text.Json;
using System.Text.Json.Nodes;
using Flowkit.Definitions.Expressions;
using Flowkit.Hub.Delivery;

namespace Flowkit.Hub.Destinations;

/// <summary>Evaluates a destination's text templates (<c>{{ event.workflow }}</c>) with the project's expression engine.</summary>
internal static class HubTemplates
{
    public static string Render(ExpressionEngine expressions, string template, ExpressionScope scope, string field)
    {
        if (!template.Contains("{{", StringComparison.Ordinal))
        {
            return template;
        }

        try
        {
            return expressions.EvaluateTemplate(JsonSerializer.SerializeToElement(template), scope) switch
            {
                null => string.Empty,
                JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>(),
                var other => other.ToJsonString(),
            };
        }
        catch (ExpressionException e)
        {
            throw new DeliveryFailedException($"The destination's '{field}' template failed: {e.Message}", retryable: false, e);
        }
    }
}
