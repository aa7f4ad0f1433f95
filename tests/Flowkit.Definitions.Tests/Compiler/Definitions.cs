using Flowkit.Definitions.Expressions;
using Flowkit.Sagas.Planning;

namespace Flowkit.Definitions.Tests.Compiler;

/// <summary>One compiler for the whole test run (it is thread-safe), and small builders for definitions.</summary>
internal static class Definitions
{
    public static ExpressionEngine SharedExpressions { get; } = new();

    public static DefinitionCompiler SharedCompiler { get; } = new(SharedExpressions);

    public static Compilation Yaml(string yaml) => SharedCompiler.Compile(yaml, DocumentFormat.Yaml);

    public static Compilation Json(string json) => SharedCompiler.Compile(json, DocumentFormat.Json);

    /// <summary>Compiles and fails the test with every error when it is invalid.</summary>
    public static RunPlan Plan(string yaml)
    {
        var compilation = Yaml(yaml);
        compilation.Errors.Should().BeEmpty();
        return compilation.Plan!;
    }

    /// <summary>A workflow named "test" with the given steps (YAML list items, already indented by two).</summary>
    public static string Workflow(string steps) => "name: test\nsteps:\n" + steps;

    /// <summary>The needs of a step written compactly: "a", "c:true", "c:false".</summary>
    public static string[] NeedsOf(RunPlan plan, string id) =>
        plan[id].Needs.Select(n => n.Branch is null ? n.StepId : $"{n.StepId}:{(n.Branch.Value ? "true" : "false")}").ToArray();
}
