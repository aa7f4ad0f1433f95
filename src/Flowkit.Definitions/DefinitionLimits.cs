using System.ComponentModel.DataAnnotations;

namespace Flowkit.Definitions;

/// <summary>
/// Bounds on what one workflow definition may hold and on the work that reading and validating it may take
/// (issue #19): every input, however hostile, costs a bounded amount of time and memory, and a definition over a
/// limit is refused with a problem that names the field and the setting. Configuration section
/// <c>Flowkit:Limits</c>; every default is listed in docs/security.md. The quotas (steps, references, triggers,
/// fan-out, retry attempts, cron interval, definitions per workspace) apply when a definition is created or
/// updated; a version stored under other limits keeps running.
/// </summary>
public sealed class DefinitionLimits
{
    public const string Section = "Flowkit:Limits";

    /// <summary>The limits with every default.</summary>
    public static DefinitionLimits Default => new();

    /// <summary>Bytes of a definition as sent (YAML or JSON); a larger request answers 413. Default 1 MiB.</summary>
    [Range(1_024, 64 * 1024 * 1024)]
    public int MaxDefinitionBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// Bytes a YAML definition may expand to once its aliases (<c>*name</c>) are replaced by what they name, counted
    /// as its JSON form while reading, so a small text that expands to gigabytes is stopped early. Default 2 MiB.
    /// </summary>
    [Range(1_024, 256 * 1024 * 1024)]
    public int MaxExpandedBytes { get; set; } = 2 * 1024 * 1024;

    /// <summary>How deep aliases may nest: an anchored value holding an alias of a value holding an alias... Default 8.</summary>
    [Range(1, 64)]
    public int MaxAliasNesting { get; set; } = 8;

    /// <summary>Steps in one definition. Default 1,000.</summary>
    [Range(1, 100_000)]
    public int MaxSteps { get; set; } = 1_000;

    /// <summary>Step references in one definition: ids in <c>needs</c>, <c>then</c>, <c>else</c> and <c>steps.&lt;id&gt;</c> reads. Default 10,000.</summary>
    [Range(1, 1_000_000)]
    public int MaxReferences { get; set; } = 10_000;

    /// <summary>Triggers (webhooks and crons) in one definition. Default 20.</summary>
    [Range(1, 10_000)]
    public int MaxTriggers { get; set; } = 20;

    /// <summary>
    /// Fan-out width: steps that can start at the same moment, counted as the steps at one depth of the DAG (the
    /// roots, or every step the same number of steps away from them). Default 200.
    /// </summary>
    [Range(1, 100_000)]
    public int MaxFanOut { get; set; } = 200;

    /// <summary>Largest <c>retry.attempts</c> of a step (the language allows at most 100). Default 25.</summary>
    [Range(1, 100)]
    public int MaxRetryAttempts { get; set; } = 25;

    /// <summary>Shortest time between two fires of a cron trigger, checked over its next firings. Default 1 minute.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan MinCronInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Workflows (not archived) one workspace may have. Default 1,000.</summary>
    [Range(1, 1_000_000)]
    public int MaxDefinitionsPerWorkspace { get; set; } = 1_000;

    /// <summary>Problems listed for one definition; validation stops at this many and says so. Default 100.</summary>
    [Range(1, 10_000)]
    public int MaxErrors { get; set; } = 100;

    /// <summary>Problems that get a "did you mean" suggestion (each one compares a word with every candidate). Default 10.</summary>
    [Range(0, 1_000)]
    public int MaxSuggestions { get; set; } = 10;
}
