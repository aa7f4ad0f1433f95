using System.Text.Json;
using Flowkit.Persistence;
using Flowkit.Sagas.Planning;
using Microsoft.EntityFrameworkCore;

namespace Flowkit.Api.Ingress;

/// <summary>How a run ended, as a <c>respond: result</c> webhook tells it.</summary>
/// <param name="Status">succeeded, failed or cancelled.</param>
/// <param name="Output">The output of the run's last succeeded step in definition order (null when none has one).</param>
/// <param name="Error">Why the run failed or was cancelled.</param>
internal sealed record RunEnd(string Status, JsonElement? Output, string? Error);

/// <summary>
/// Waits for a run to end by reading its row (issue #18; docs/ingress.md section 1b). Polling the row, not a
/// notification: it needs nothing from the engine, works whichever process or API replica runs the delivery, and
/// survives an engine restart; the backoff (25 ms doubling to 500 ms) keeps a fast run's answer prompt and a slow
/// run's cost at two primary-key reads a second.
/// </summary>
internal sealed class RunResults(FlowkitDbContext db, TimeProvider time)
{
    private static readonly TimeSpan FirstPoll = TimeSpan.FromMilliseconds(25);
    private static readonly TimeSpan LongestPoll = TimeSpan.FromMilliseconds(500);
    private static readonly string[] Ended = ["Succeeded", "Failed", "Cancelled"];

    /// <summary>The run's end, or null when <paramref name="timeout"/> passes (or the caller goes away) first.</summary>
    public async Task<RunEnd?> WaitAsync(Guid runId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = time.GetUtcNow() + timeout;
        var pause = FirstPoll;
        while (!cancellationToken.IsCancellationRequested)
        {
            var run = await db.Runs.AsNoTracking()
                .Where(r => r.CorrelationId == runId && Ended.Contains(r.CurrentState))
                .Select(r => new { r.CurrentState, r.Error })
                .SingleOrDefaultAsync(cancellationToken);
            if (run is not null)
            {
                var output = run.CurrentState == "Succeeded"
                    ? await db.Steps.AsNoTracking()
                        .Where(s => s.RunId == runId && s.Status == StepStatus.Succeeded)
                        .OrderByDescending(s => s.Index)
                        .Select(s => s.Output)
                        .FirstOrDefaultAsync(cancellationToken)
                    : null;
                return new RunEnd(run.CurrentState.ToLowerInvariant(), output is null ? null : JsonSerializer.Deserialize<JsonElement>(output), run.Error);
            }

            var left = deadline - time.GetUtcNow();
            if (left <= TimeSpan.Zero)
            {
                return null;
            }

            await Task.Delay(pause < left ? pause : left, time, cancellationToken);
            pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, LongestPoll.Ticks));
        }

        return null;
    }
}
