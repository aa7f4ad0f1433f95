namespace Flowkit.Worker.Tests;

/// <summary>Polls a condition until it holds or the deadline passes; on timeout it throws, saying what it waited for.</summary>
internal static class Wait
{
    public static async Task UntilAsync(Func<bool> condition, TimeSpan deadline, string what)
    {
        ArgumentNullException.ThrowIfNull(condition);
        // Stretched as Flowkit.Testing's Eventually does: a deadline bounds only a failing wait, and CI machines are slow.
        deadline *= 3;
        var until = DateTime.UtcNow + deadline;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
        while (!condition())
        {
            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException($"Waited {deadline.TotalSeconds:0.#} s for {what}.");
            }

            await timer.WaitForNextTickAsync(TestContext.Current.CancellationToken);
        }
    }
}
