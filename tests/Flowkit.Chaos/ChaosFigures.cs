using System.Globalization;
using Flowkit.Testing;

namespace Flowkit.Chaos;

/// <summary>
/// What one scenario of the fault suite counted. <see cref="Stuck"/>, <see cref="Lost"/>,
/// <see cref="FalseOutcomes"/>, <see cref="Unrecorded"/>, <see cref="Duplicates"/> and <see cref="DeadLetters"/>
/// must be 0; <see cref="Redelivered"/> counts calls a target saw again for an attempt it already saw (steps run at
/// least once, with the same Idempotency-Key, so a target can drop them).
/// </summary>
public sealed record ChaosFigures(
    string Scenario,
    string Fault,
    int Accepted,
    int Succeeded,
    int Failed,
    int Stuck,
    int Lost,
    int FalseOutcomes,
    int Redelivered,
    int Unrecorded,
    int Duplicates,
    int DeadLetters,
    int Refused,
    int Kills,
    TimeSpan Drain,
    TimeSpan Total)
{
    public const string Header =
        "| scenario | fault | accepted | succeeded | failed (expected) | stuck | lost | false outcomes | redelivered | unrecorded side effects | duplicates | dead letters | refused while down | processes killed | drain | total |";

    public bool Clean => Stuck == 0 && Lost == 0 && FalseOutcomes == 0 && Unrecorded == 0 && Duplicates == 0 && DeadLetters == 0;

    public string Row() => string.Create(
        CultureInfo.InvariantCulture,
        $"| {Scenario} | {Fault} | {Accepted} | {Succeeded} | {Failed} | {Stuck} | {Lost} | {FalseOutcomes} | {Redelivered} | {Unrecorded} | {Duplicates} | {DeadLetters} | {Refused} | {Kills} | {Drain.TotalSeconds:0} s | {Total.TotalSeconds:0} s |");

    /// <summary>Appends the row to <c>artifacts/chaos/figures.md</c> (the run's table; <c>make chaos</c> prints it).</summary>
    public void Write()
    {
        var dir = Path.Combine(ServiceEndpoints.RepositoryRoot(), "artifacts", "chaos");
        Directory.CreateDirectory(dir);
        var file = Path.Combine(dir, "figures.md");
        lock (typeof(ChaosFigures))
        {
            if (!File.Exists(file))
            {
                File.WriteAllText(file, Header + Environment.NewLine + "|" + string.Concat(Enumerable.Repeat("---|", 16)) + Environment.NewLine);
            }

            File.AppendAllText(file, Row() + Environment.NewLine);
        }
    }
}
