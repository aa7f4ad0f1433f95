using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Flowkit.Contracts;
using Microsoft.Extensions.Options;

namespace Flowkit.Worker;

/// <summary>
/// The reports (<see cref="StepFinished"/>) of attempts this worker process finished, kept in bounded memory (the
/// newest, up to <see cref="WorkerOptions.RememberedReportBytes"/>), so that an <see cref="ExecuteStep"/> redelivered after its
/// report was published (the broker went away before the ack) publishes the same report again instead of running the
/// step a second time. Every report of an attempt carries the same MessageId (<see cref="MessageId(StepFinished)"/>), so the engine's
/// inbox drops a second copy, and its state ignores a report for an attempt that is no longer running.
/// </summary>
public sealed class StepReports(IOptions<WorkerOptions> options)
{
    private readonly ConcurrentDictionary<(Guid RunId, string StepId, int Attempt), StepFinished> _reports = new();
    private readonly ConcurrentQueue<((Guid, string, int) Key, long Size)> _order = new();
    private readonly long _capacity = options.Value.RememberedReportBytes;
    private long _bytes;

    public void Remember(StepFinished report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var key = (report.RunId, StepKeys.Of(report.StepId, report.Item), report.Attempt);
        var size = 256L + (report.Output?.GetRawText().Length ?? 0) * 2L + (report.Error?.Message.Length ?? 0) * 2L;
        if (size <= _capacity && _reports.TryAdd(key, report))
        {
            _order.Enqueue((key, size));
            Interlocked.Add(ref _bytes, size);
            while (Interlocked.Read(ref _bytes) > _capacity && _order.TryDequeue(out var oldest))
            {
                _reports.TryRemove(oldest.Key, out _);
                Interlocked.Add(ref _bytes, -oldest.Size);
            }
        }
    }

    public StepFinished? Find(ExecuteStep command)
    {
        ArgumentNullException.ThrowIfNull(command);
        return _reports.GetValueOrDefault((command.RunId, StepKeys.Of(command.StepId, command.Item), command.Attempt));
    }

    /// <summary>The MessageId of every report of one attempt, whichever worker sends it and however often.</summary>
    public static Guid MessageId(StepFinished report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return MessageId(report.RunId, StepKeys.Of(report.StepId, report.Item), report.Attempt);
    }

    /// <summary>The MessageId of every report of one attempt of <paramref name="stepId"/> (for an item, its <see cref="StepKeys"/> name).</summary>
    public static Guid MessageId(Guid runId, string stepId, int attempt)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"StepFinished:{runId:N}:{stepId}:{attempt}"));
        return new Guid(hash.AsSpan(0, 16));
    }
}
