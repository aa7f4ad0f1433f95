namespace Flowkit.Testing;

/// <summary>
/// Polls a check until it passes or the deadline passes; on timeout it throws with the last state it saw, never
/// returning silently. No sleeps in tests: this waits on a short interval only while something is in flight.
/// </summary>
public static class Eventually
{
    public static async Task<T> UntilAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan deadline, string what)
    {
        ArgumentNullException.ThrowIfNull(probe);
        ArgumentNullException.ThrowIfNull(done);
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

    private static string Describe<T>(T value) =>
        value switch
        {
            null => "null",
            string s => s,
            _ => System.Text.Json.JsonSerializer.Serialize(value),
        };
}
