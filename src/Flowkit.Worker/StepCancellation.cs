using System.Collections.Concurrent;
using Flowkit.Contracts;
using MassTransit;

namespace Flowkit.Worker;

/// <summary>The attempts this worker process is running, so that the engine can tell it to stop one.</summary>
public sealed class InFlightSteps
{
    private readonly ConcurrentDictionary<(Guid RunId, string StepId, int Attempt), CancellationTokenSource> _running = new();

    /// <summary>Registers an attempt; disposing the result unregisters it.</summary>
    internal Registration Track(ExecuteStep command, CancellationTokenSource source)
    {
        var key = (command.RunId, StepKeys.Of(command.StepId, command.Item), command.Attempt);
        _running[key] = source;
        return new Registration(this, key);
    }

    /// <summary>Cancels the matching attempts: a whole run, one step of it, or one attempt. Returns how many.</summary>
    public int Cancel(Guid runId, string? stepId, int attempt)
    {
        var cancelled = 0;
        foreach (var (key, source) in _running)
        {
            if (key.RunId == runId && (stepId is null || key.StepId == stepId) && (attempt == 0 || key.Attempt == attempt))
            {
                try
                {
                    source.Cancel();
                    cancelled++;
                }
                catch (ObjectDisposedException)
                {
                    // It finished in the meantime.
                }
            }
        }

        return cancelled;
    }

    internal readonly struct Registration(InFlightSteps owner, (Guid, string, int) key) : IDisposable
    {
        public void Dispose() => owner._running.TryRemove(key, out _);
    }
}

/// <summary>
/// Stops running attempts when the engine says their run ended (cancelled, failed) or their attempt timed out.
/// Every worker process has its own temporary queue bound to <see cref="StepExecutionCancelled"/>, so each hears it.
/// </summary>
[ExcludeFromConfigureEndpoints]
public sealed class StepCancellationConsumer(InFlightSteps inFlight, StepCancellations cancellations) : IConsumer<StepExecutionCancelled>
{
    public Task Consume(ConsumeContext<StepExecutionCancelled> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var message = context.Message;
        // An item of a for-each step is named {stepId}[{index}] (StepKeys), as its ExecuteStep's WorkKey.
        var step = message.StepId is null ? null : StepKeys.Of(message.StepId, message.Item);
        cancellations.Remember(message.RunId, step, message.Attempt);
        inFlight.Cancel(message.RunId, step, message.Attempt);
        return Task.CompletedTask;
    }
}
