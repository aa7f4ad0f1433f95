namespace Flowkit.Api.Workflows;

/// <summary>One problem of a definition and where it is in the text as sent.</summary>
/// <param name="Path">JSON path of the offending value, as in a 422's <c>errors</c>.</param>
/// <param name="Message">The same words as the 422's.</param>
/// <param name="Line">1-based line of the value (or of its nearest written ancestor); null when the text has no such place.</param>
/// <param name="Column">1-based column on that line.</param>
public sealed record LocatedProblem(string Path, string Message, int? Line, int? Column);
