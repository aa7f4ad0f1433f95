using System.Text.Json;
using Flowkit.Definitions.Expressions;
using Flowkit.Definitions.Reading;
using Flowkit.Definitions.Validation;
using Flowkit.Sagas.Planning;

namespace Flowkit.Definitions;

/// <summary>
/// Turns a workflow definition (YAML or JSON) into a <see cref="RunPlan"/>: reads it, validates it (listing
/// every problem with its JSON path), renders its canonical JSON and builds the DAG. Thread-safe and stateless
/// apart from the expression engine's caches; one instance can serve the whole process.
/// </summary>
public sealed class DefinitionCompiler
{
    private readonly ExpressionEngine _expressions;

    public DefinitionCompiler(ExpressionEngine expressions)
    {
        ArgumentNullException.ThrowIfNull(expressions);
        _expressions = expressions;
    }

    /// <summary>Compiles a definition written as YAML or JSON text.</summary>
    public Compilation Compile(string text, DocumentFormat format)
    {
        ArgumentNullException.ThrowIfNull(text);
        JsonDocument document;
        try
        {
            document = format == DocumentFormat.Yaml ? YamlDocumentReader.Read(text) : JsonDocumentReader.Read(text);
        }
        catch (DocumentFormatException e)
        {
            return Invalid([new ValidationError(JsonPath.Root, e.Message)]);
        }

        using (document)
        {
            return Compile(document.RootElement);
        }
    }

    /// <summary>Compiles a definition already parsed as JSON, such as a stored canonical definition.</summary>
    public Compilation Compile(JsonElement document)
    {
        var reader = new DefinitionReader(_expressions);
        reader.Read(document);
        var errors = reader.Errors.ToList();
        var graph = reader.Steps.Count > 0 ? DependencyGraph.Analyze(reader.Steps, errors) : null;
        if (errors.Count > 0 || graph is null || reader.Name is null)
        {
            return Invalid(errors);
        }

        var canonical = CanonicalJson.Write(document);
        using var canonicalDocument = JsonDocument.Parse(canonical);
        var stepElements = canonicalDocument.RootElement.GetProperty("steps").EnumerateArray().ToArray();
        var steps = new List<StepDefinition>(reader.Steps.Count);
        var planSteps = new List<PlanStep>(reader.Steps.Count);
        foreach (var draft in reader.Steps)
        {
            var spec = stepElements[draft.Index].Clone();
            JsonElement? with = spec.TryGetProperty("with", out var w) ? w : null;
            steps.Add(new StepDefinition(
                draft.Id!, draft.Index, draft.Type!, draft.Description, draft.Needs?.Select(n => n.Id).ToArray(),
                draft.If, draft.Then.Select(t => t.Id).ToArray(), draft.Else.Select(e => e.Id).ToArray(),
                draft.Message, draft.For, draft.Until, with, draft.Retry, draft.Timeout, draft.ContinueOnError));
            planSteps.Add(new PlanStep(
                draft.Id!, draft.Index, draft.Type!, graph.Needs(draft.Index), graph.Dependents(draft.Index), spec,
                graph.References(draft.Index), draft.Retry, draft.Timeout, draft.ContinueOnError)
            {
                SecretNames = SecretReferences.Find(spec),
            });
        }

        var definition = new WorkflowDefinition(reader.Name, reader.Description, reader.Triggers, steps, reader.Timeout, reader.Concurrency);
        var plan = new RunPlan(planSteps, new RunOptions(reader.Timeout, reader.Concurrency?.Limit));
        return new Compilation(definition, plan, canonical, []);
    }

    private static Compilation Invalid(IReadOnlyList<ValidationError> errors) => new(null, null, null, errors);
}
