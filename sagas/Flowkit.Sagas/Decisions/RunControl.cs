namespace Flowkit.Sagas.Decisions;

/// <summary>A run control that propagates from a run to its child runs (see <c>RunDecisions.ToChildRuns</c>).</summary>
internal enum RunControl
{
    Pause,
    Resume,
}
