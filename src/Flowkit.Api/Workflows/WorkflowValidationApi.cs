using System.Globalization;
using System.Text.RegularExpressions;
using Flowkit.Api.Limits;
using Flowkit.Definitions;
using Flowkit.Definitions.Reading;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Flowkit.Api.Workflows;

/// <summary>
/// <c>POST /api/v1/workflows/validate</c>: checks a definition exactly as create and update do, stores nothing, and
/// answers every problem with the line it is at and, for a valid definition, the DAG that runs would execute.
/// Made for editors (the console validates as the user types).
/// </summary>
internal static partial class WorkflowValidationApi
{
    internal static async Task<Results<Ok<ValidationResponse>, ProblemHttpResult>> ValidateAsync(
        HttpRequest request, DefinitionCompiler compiler, IOptions<DefinitionLimits> limits, Persistence.FlowkitDbContext db, CancellationToken cancellationToken)
    {
        var format = WorkflowsApi.FormatOf(request.ContentType);
        if (format is null)
        {
            return Problems.Problems.UnsupportedMediaType(
                $"Send the definition as application/yaml or application/json{(request.ContentType is null ? "" : $", not {request.ContentType}")}.");
        }

        var (source, bytes) = await DefinitionBodyReader.ReadAsync(request, limits.Value.MaxDefinitionBytes, cancellationToken);
        if (source is null)
        {
            return LimitProblems.DefinitionTooLarge(bytes, limits.Value);
        }

        var compilation = compiler.Compile(source, format.Value, limits.Value, cancellationToken);
        compilation = await Connectors.ConnectorBinder.BindAsync(db, Workspaces.Of(request.HttpContext), compilation, cancellationToken);
        if (!compilation.IsValid)
        {
            var lines = SourceLines.Map(source);
            var located = compilation.Errors.Select(e => Locate(e, lines)).ToArray();
            return TypedResults.Ok(new ValidationResponse(false, null, located, null));
        }

        return TypedResults.Ok(new ValidationResponse(true, compilation.Definition!.Name, [], WorkflowGraph.From(compilation)));
    }

    private static LocatedProblem Locate(ValidationError error, SourceLines lines)
    {
        // A document that cannot be read is one problem at $ whose message names the line.
        if (error.Path == "$" && LineInMessage().Match(error.Message) is { Success: true } match)
        {
            var line = int.Parse(match.Groups["line"].Value, CultureInfo.InvariantCulture);
            int? column = match.Groups["column"].Success ? int.Parse(match.Groups["column"].Value, CultureInfo.InvariantCulture) : null;
            return new LocatedProblem(error.Path, error.Message, line, column);
        }

        var position = lines.Find(error.Path);
        return new LocatedProblem(error.Path, error.Message, position?.Line, position?.Column);
    }

    [GeneratedRegex(@"line (?<line>\d+)(, column (?<column>\d+))?", RegexOptions.CultureInvariant)]
    private static partial Regex LineInMessage();
}
