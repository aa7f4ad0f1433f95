using System.ComponentModel.DataAnnotations;

namespace Flowkit.Definitions.Expressions;

/// <summary>
/// Limits of the JavaScript sandbox that evaluates templates, conditions and script steps.
/// Every evaluation runs under all of them; going over one fails the evaluation with an
/// <see cref="ExpressionException"/> whose <see cref="ExpressionException.Kind"/> says which.
/// </summary>
public sealed class ExpressionOptions
{
    public const string Section = "Flowkit:Expressions";

    /// <summary>
    /// Wall-clock budget of one template, condition or expression evaluation (all the <c>{{ }}</c> of one
    /// template share it). Default 100 ms.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:10:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Wall-clock budget of one <c>script</c> step run. Default 1 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:10:00")]
    public TimeSpan ScriptTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Bytes one evaluation may allocate (Jint measures allocation on the evaluating thread, so garbage counts too).
    /// Default 32 MiB; at least 16 MiB, because preparing a sandbox needs a few.
    /// </summary>
    [Range(16L * 1024 * 1024, 4L * 1024 * 1024 * 1024)]
    public long MemoryLimitBytes { get; set; } = 32L * 1024 * 1024;

    /// <summary>JavaScript statements one evaluation may execute. Default 1,000,000.</summary>
    [Range(1_000, int.MaxValue)]
    public int MaxStatements { get; set; } = 1_000_000;

    /// <summary>Depth of nested JavaScript function calls. Default 64.</summary>
    [Range(1, 1_000)]
    public int MaxRecursionDepth { get; set; } = 64;

    /// <summary>Largest JavaScript array an evaluation may create. Default 1,000,000 elements.</summary>
    [Range(1_000, int.MaxValue)]
    public int MaxArrayLength { get; set; } = 1_000_000;

    /// <summary>
    /// Longest string an evaluation may build, in characters (UTF-16 code units), checked before the string is
    /// allocated, so one call such as <c>'y'.repeat(1e8)</c> cannot pass the memory limit; it also bounds the JSON
    /// text of a result. Default 2,097,152 (4 MiB). At most a quarter of <see cref="MemoryLimitBytes"/> in characters,
    /// so that a string at the limit and a copy of it fit within the memory limit.
    /// </summary>
    [Range(1_024, int.MaxValue / 2)]
    public int MaxStringLength { get; set; } = 2 * 1024 * 1024;

    internal void Validate()
    {
        var context = new ValidationContext(this);
        Validator.ValidateObject(this, context, validateAllProperties: true);
        if (MaxStringLength > MemoryLimitBytes / 4)
        {
            throw new ValidationException(
                $"{Section}:{nameof(MaxStringLength)} ({MaxStringLength}) must be at most a quarter of {nameof(MemoryLimitBytes)} ({MemoryLimitBytes}) in characters.");
        }
    }
}
