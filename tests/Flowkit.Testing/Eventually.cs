namespace Flowkit.Testing;

/// <summary>
/// Polls a check until it passes or the deadline passes; on timeout it throws with the last state it saw, never
/// returning silently. No sleeps in tests: this waits on a short interval only while something is in flight.
/// </summary>
public static class Eventually
{
    /// <summary>
    /// How many times longer than a test asks to wait before it fails. A deadline only bounds a wait that passes as
    /// soon as its condition holds, so a generous factor costs a passing test nothing; it keeps a CI machine that is
    /// many times slower than a developer's (a load average of 40 on two cores has been seen) from failing a test
    /// that would pass given the time. <c>FLOWKIT_TEST_PATIENCE</c> sets it (default 3; 1 to see the written deadlines).
    /// </summary>
    public static double Patience { get; } = ReadPatience();

    /// <summary>The deadline a test wrote, stretched by <see cref="Patience"/>.</summary>
    public static TimeSpan Stretch(TimeSpan deadline) => deadline * Patience;

    public static async Task<T> UntilAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan deadline, string what)
    {
        ArgumentNullException.ThrowIfNull(probe);
        ArgumentNullException.ThrowIfNull(done);
        deadline = Stretch(deadline);
        var until = DateTime.UtcNow + deadline;
        T last;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
        while (true)
        {
            last = await probe();
            if (done(last))
            {
                return last;
            }

            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException($"Waited {deadline.TotalSeconds:0.#} s for {what}; last seen: {Describe(last)}");
            }

            await timer.WaitForNextTickAsync();
        }
    }

    private static double ReadPatience()
    {
        var text = Environment.GetEnvironmentVariable("FLOWKIT_TEST_PATIENCE");
        return double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var value) && value >= 1
            ? value
            : 3;
    }

    private static string Describe<T>(T value) =>
        value switch
        {
            null => "null",
            string s => s,
            _ => System.Text.Json.JsonSerializer.Serialize(value),
        };
}
