using System.Globalization;

namespace Flowkit.Chaos;

/// <summary>One measurement of the scale-out scenario: steps finished at the target per second with a given number of workers.</summary>
public sealed record ScaleWindow(int Workers, int Steps, TimeSpan Duration, double LoadAverage)
{
    public double StepsPerSecond => Steps / Duration.TotalSeconds;

    public string Row(double baseline) => string.Create(
        CultureInfo.InvariantCulture,
        $"| {Workers} | {Steps} | {Duration.TotalSeconds:0.0} s | {StepsPerSecond:0.0} | {StepsPerSecond / Workers:0.0} | {StepsPerSecond / baseline:0.00}x | {LoadAverage:0.0} |");
}
