using System.Globalization;

namespace Flowkit.Contracts;

/// <summary>How an item of a for-each step is named where a step id alone would be ambiguous (worker memory, timer tokens).</summary>
public static class StepKeys
{
    /// <summary><paramref name="stepId"/>, or <c>{stepId}[{item}]</c> for an item of a for-each step.</summary>
    public static string Of(string stepId, int? item) =>
        item is { } index ? string.Create(CultureInfo.InvariantCulture, $"{stepId}[{index}]") : stepId;
}
