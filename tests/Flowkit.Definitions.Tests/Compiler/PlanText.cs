using System.Globalization;
using System.Text;
using Flowkit.Sagas.Planning;

namespace Flowkit.Definitions.Tests.Compiler;

/// <summary>A plan written out in full, so two plans compare equal exactly when every field does.</summary>
internal static class PlanText
{
    public static string Of(RunPlan plan)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"run timeout={plan.Options.Timeout} concurrency={plan.Options.ConcurrencyLimit}\n");
        foreach (var step in plan.Steps)
        {
            text.Append(CultureInfo.InvariantCulture, $"{step.Index} {step.Id} {step.Type}")
                .Append(" needs=").AppendJoin(',', step.Needs.Select(n => n.Branch is null ? n.StepId : $"{n.StepId}:{n.Branch}"))
                .Append(" dependents=").AppendJoin(',', step.Dependents)
                .Append(" references=").AppendJoin(',', step.References)
                .Append(CultureInfo.InvariantCulture, $" retry={step.Retry} timeout={step.Timeout} continue={step.ContinueOnError}")
                .Append(" spec=").Append(step.Spec.GetRawText()).Append('\n');
        }

        return text.ToString();
    }
}
