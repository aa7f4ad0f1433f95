namespace Flowkit.Engine.Watchdog;

/// <summary>
/// One finding of the watchdog: what is stuck (<see cref="StuckKinds"/>), in which run and step attempt. For
/// <see cref="StuckKinds.Slots"/>, <see cref="RunId"/> is the workflow's id.
/// </summary>
internal sealed record StuckRun
{
    public string Kind { get; init; } = "";

    public Guid RunId { get; init; }

    public string? StepId { get; init; }

    public int Attempt { get; init; }
}
