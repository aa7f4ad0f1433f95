namespace Flowkit.Definitions.Connectors;

/// <summary>What reading a connector document gave: its canonical JSON, or every problem found (path and message).</summary>
/// <param name="CanonicalJson">The document with keys sorted, compact; null when invalid.</param>
/// <param name="Errors">Every problem, each with the JSON path of the field.</param>
public sealed record ConnectorReading(string? CanonicalJson, IReadOnlyList<ValidationError> Errors)
{
    public bool IsValid => CanonicalJson is not null && Errors.Count == 0;
}
