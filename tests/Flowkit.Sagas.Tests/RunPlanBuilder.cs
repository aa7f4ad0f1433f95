using System.Text.Json;
using Flowkit.Sagas.Planning;

namespace Flowkit.Sagas.Tests;

/// <summary>Builds plans for tests: <c>Step("b", needs: "a")</c>, <c>Branch("c", "cond", true)</c>.</summary>
internal sealed class RunPlanBuilder
{
    private static readonly JsonElement EmptySpec = JsonDocument.Parse("{}").RootElement.Clone();
    private readonly List<(string Id, string Type, List<Need> Needs, RetryPolicy Retry, bool ContinueOnError)> _steps = [];
    private readonly Dictionary<string, (JsonElement Spec, TimeSpan? Timeout)> _settings = [];

    /// <summary>A step of any type with its settings as JSON.</summary>
    public RunPlanBuilder Typed(string id, string type, string specJson, TimeSpan? timeout = null, params string[] needs)
    {
        Add(id, type, needs.Select(n => new Need(n)));
        _settings[id] = (JsonDocument.Parse(specJson).RootElement.Clone(), timeout);
        return this;
    }

    public RunPlanBuilder Step(string id, params string[] needs) => Add(id, StepTypes.Transform, needs.Select(n => new Need(n)));

    public RunPlanBuilder Condition(string id, params string[] needs) => Add(id, StepTypes.Condition, needs.Select(n => new Need(n)));

    public RunPlanBuilder Step(string id, IEnumerable<Need> needs) => Add(id, StepTypes.Transform, needs);

    public RunPlanBuilder Retrying(string id, RetryPolicy retry)
    {
        var i = _steps.FindIndex(s => s.Id == id);
        _steps[i] = _steps[i] with { Retry = retry };
        return this;
    }

    public RunPlanBuilder ContinuingOnError(string id)
    {
        var i = _steps.FindIndex(s => s.Id == id);
        _steps[i] = _steps[i] with { ContinueOnError = true };
        return this;
    }

    private RunPlanBuilder Add(string id, string type, IEnumerable<Need> needs)
    {
        _steps.Add((id, type, needs.ToList(), RetryPolicy.None, false));
        return this;
    }

    public RunPlan Build(RunOptions? options = null)
    {
        var steps = _steps.Select((s, i) => new PlanStep(
            s.Id, i, s.Type, s.Needs,
            _steps.Where(d => d.Needs.Any(n => n.StepId == s.Id)).Select(d => d.Id).ToArray(),
            _settings.TryGetValue(s.Id, out var settings) ? settings.Spec : EmptySpec, [], s.Retry,
            _settings.TryGetValue(s.Id, out var timed) ? timed.Timeout : null, s.ContinueOnError)).ToArray();
        return new RunPlan(steps, options ?? RunOptions.Default);
    }
}
