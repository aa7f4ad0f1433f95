using System.Globalization;
using System.Text;
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

    /// <summary>Compiles a definition written as YAML or JSON text under the default <see cref="DefinitionLimits"/>.</summary>
    public Compilation Compile(string text, DocumentFormat format) => Compile(text, format, DefinitionLimits.Default, CancellationToken.None);

    /// <summary>
    /// Compiles a definition being created or updated: <paramref name="limits"/> bound its size and contents and the
    /// work of checking it; <paramref name="cancellationToken"/> (the request's, when a client waits) stops the work.
    /// </summary>
    public Compilation Compile(string text, DocumentFormat format, DefinitionLimits limits, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(limits);
        var bytes = Encoding.UTF8.GetByteCount(text);
        if (bytes > limits.MaxDefinitionBytes)
        {
            return Invalid([new ValidationError(JsonPath.Root, TooLarge(bytes, limits))]);
        }

        JsonDocument document;
        try
        {
            document = format == DocumentFormat.Yaml ? YamlDocumentReader.Read(text, limits, cancellationToken) : JsonDocumentReader.Read(text);
        }
        catch (DocumentFormatException e)
        {
            return Invalid([new ValidationError(JsonPath.Root, e.Message)]);
        }

        using (document)
        {
            return Compile(document.RootElement, new ProblemCollector(limits, quotas: true, cancellationToken));
        }
    }

    /// <summary>
    /// Compiles a definition already parsed as JSON, such as a stored canonical definition. The quotas of
    /// <see cref="DefinitionLimits"/> are not applied: a version accepted under other limits keeps running.
    /// </summary>
    public Compilation Compile(JsonElement document) =>
        Compile(document, new ProblemCollector(DefinitionLimits.Default, quotas: false, CancellationToken.None));

    /// <summary>What a definition over <see cref="DefinitionLimits.MaxDefinitionBytes"/> is told (<paramref name="bytes"/> -1 when its size is not known).</summary>
    public static string TooLarge(long bytes, DefinitionLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        var max = limits.MaxDefinitionBytes.ToString("N0", CultureInfo.InvariantCulture);
        var size = bytes < 0 ? $"over {max} bytes" : $"{bytes.ToString("N0", CultureInfo.InvariantCulture)} bytes";
        return $"The definition is {size}; at most {max} bytes are allowed (setting Flowkit:Limits:MaxDefinitionBytes). Split it into smaller workflows.";
    }

    private Compilation Compile(JsonElement document, ProblemCollector problems)
    {
        var reader = new DefinitionReader(_expressions, problems);
        DependencyGraph? graph = null;
        try
        {
            reader.Read(document);
            graph = reader.Steps.Count > 0 ? DependencyGraph.Analyze(reader.Steps, problems) : null;
        }
        catch (ValidationStoppedException)
        {
            // A limit ended validation: the problems found so far (and the one saying why it stopped) are the answer.
        }

        if (problems.Errors.Count > 0 || graph is null || reader.Name is null)
        {
            return Invalid(problems.Errors);
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
                ForEach = draft.ForEach,
                ForEachConcurrency = draft.ForEachConcurrency,
                ItemReferences = draft.ForEach is null
                    ? []
                    : graph.References(draft.Index).Where(id => draft.Reads.Any(r => r.Id == id && r.Path != draft.ForEachPath)).ToArray(),
            });
        }

        var definition = new WorkflowDefinition(reader.Name, reader.Description, reader.Triggers, steps, reader.Timeout, reader.Concurrency);
        var plan = new RunPlan(planSteps, new RunOptions(reader.Timeout, reader.Concurrency?.Limit));
        return new Compilation(definition, plan, canonical, []);
    }

    private static Compilation Invalid(IReadOnlyList<ValidationError> errors) => new(null, null, null, errors);
}
