namespace Flowkit.Host.Observability;

/// <summary>What one refresh read from PostgreSQL.</summary>
internal sealed record DatabaseSnapshot(double Due, double OldestDueAgeSeconds, double OverdueSteps);
