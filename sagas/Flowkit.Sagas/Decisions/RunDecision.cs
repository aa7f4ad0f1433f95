namespace Flowkit.Sagas.Decisions;

/// <summary>
/// What one event means for a run: the effects to apply, in order. Returned by the pure functions of
/// <see cref="RunDecisions"/> and <see cref="StepDecisions"/>; applied by <see cref="RunDriver"/>.
/// </summary>
internal sealed class RunDecision(IReadOnlyList<RunEffect> effects)
{
    /// <summary>Nothing to do: a late, duplicate or stale message.</summary>
    public static RunDecision None { get; } = new([]);

    public IReadOnlyList<RunEffect> Effects { get; } = effects;

    public bool IsNone => Effects.Count == 0;

    public IEnumerable<T> Of<T>()
        where T : RunEffect => Effects.OfType<T>();
}
