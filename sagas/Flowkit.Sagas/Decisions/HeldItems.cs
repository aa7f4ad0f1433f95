namespace Flowkit.Sagas.Decisions;

/// <summary>A running for-each step as resuming its run sees it: its state and the items the pause held.</summary>
internal sealed record HeldItems(StepState Step, IReadOnlyList<ItemState> Items);
