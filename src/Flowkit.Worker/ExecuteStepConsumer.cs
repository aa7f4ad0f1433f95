using System.Text.Json;
using System.Text.Json.Nodes;
using Flowkit.Contracts;
using Flowkit.Definitions.Expressions;
using Flowkit.Definitions.Secrets;
using Flowkit.Worker.Steps;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Flowkit.Worker;

/// <summary>
/// Runs one attempt of one step and reports the outcome as <see cref="StepFinished"/>. A step failing is data, not
/// an exception: only infrastructure faults (the broker unreachable while reporting) escape to transport retry.
/// </summary>
/// <remarks>
/// <para>
/// Secrets arrive sealed (<see cref="ExecuteStep.SealedSecrets"/>) and are unsealed only here, for the step's
/// expressions; every value is masked (<c>***</c>) in the output and the error before they are published or logged.
/// </para>
/// <para>
/// Time: the attempt's <see cref="ExecuteStep.Timeout"/> counts from this worker's start (time waiting for delivery does
/// not count); at its end the attempt is cancelled and reported as a retryable timeout. A copy received after its
/// <see cref="ExecuteStep.StartBy"/> is not started and not reported: the engine, hearing nothing, sends the attempt
/// again with a new window (docs/reliability.md). A message from an engine that sends no timeout keeps the old rule: it
/// ends at <see cref="ExecuteStep.Deadline"/>, and one whose deadline passed in the queue is reported as timed out.
/// </para>
/// <para>
/// Shutdown: MassTransit stops taking messages, then waits for running consumers. After
/// <see cref="WorkerOptions.ShutdownGracePeriod"/> it cancels <c>ConsumeContext.CancellationToken</c>; the
/// step is then abandoned without a report and the exception lets MassTransit return the message to the queue
/// (nack with requeue; had the channel closed first, RabbitMQ requeues the unacknowledged message itself), so
/// another worker runs the same attempt again with the same idempotency key. Steps run at least once.
/// </para>
/// </remarks>
[ExcludeFromConfigureEndpoints]
public sealed class ExecuteStepConsumer(
    StepExecutors executors,
    SecretBox secretBox,
    TimeProvider time,
    WorkerMetrics metrics,
    InFlightSteps inFlight,
    StepCancellations cancellations,
    StepReports reports,
    IOptions<WorkerOptions> options,
    PendingReports pending,
    ILogger<ExecuteStepConsumer> logger,
    IHostApplicationLifetime? lifetime = null) : IConsumer<ExecuteStep>
{
    public async Task Consume(ConsumeContext<ExecuteStep> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var command = context.Message;
        var startedAt = time.GetUtcNow();
        var started = time.GetTimestamp();
        using var scope = logger.BeginScope(new Dictionary<string, object>
        {
            ["RunId"] = command.RunId,
            ["StepId"] = command.StepId,
            ["Attempt"] = command.Attempt,
            ["Workflow"] = command.Workflow,
            ["Workspace"] = command.Workspace,
        });

        if (reports.Find(command) is { } known)
        {
            // Redelivered after this worker had finished it (the broker went away before the ack): report, do not rerun.
            Log.ReportRepeated(logger, command.StepType);
            await ReportAsync(known, command.Deadline);
            return;
        }

        if (cancellations.IsCancelled(command))
        {
            // The engine ended this run or attempt while the message waited in the queue: nothing would use the result.
            Log.StepSkippedCancelled(logger, command.StepType);
            metrics.Finished(command.StepType, "cancelled", TimeSpan.Zero);
            return;
        }

        if (command.StartBy is { } startBy && startBy < startedAt)
        {
            // The engine sends this attempt again when it hears nothing by the window's end plus the timeout: starting
            // this copy too would run the attempt twice. Acknowledged without a report.
            Log.StepSuperseded(logger, command.StepType, command.Delivery, startBy);
            metrics.Finished(command.StepType, "superseded", TimeSpan.Zero);
            return;
        }

        var deadline = command.Timeout is { } timeout ? startedAt + timeout : command.Deadline;
        StepFinished finished;
        if (command.Timeout is null && command.Deadline is { } expired && expired <= startedAt)
        {
            Log.StepExpired(logger, command.StepType, expired);
            finished = Failed(command, startedAt, new StepError(
                $"The attempt's deadline ({expired:O}) passed while it waited in the queue, so it was not started. Are the workers keeping up?",
                true,
                "timeout"));
        }
        else
        {
            try
            {
                finished = await RunAsync(context, command, startedAt, deadline);
            }
            catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
            {
                Log.StepInterrupted(logger, command.StepType);
                metrics.Finished(command.StepType, "interrupted", time.GetElapsedTime(started));
                throw;
            }
        }

        metrics.Finished(command.StepType, finished.Succeeded ? "succeeded" : "failed", time.GetElapsedTime(started));
        reports.Remember(finished);
        await ReportAsync(finished, deadline);
    }

    /// <summary>
    /// Publishes the report (through the bus, each try bounded to 5 s). When the broker is away, the report goes to
    /// <see cref="PendingReports"/>, which keeps trying until the attempt's deadline plus
    /// <see cref="WorkerOptions.ReportGrace"/>, and the consumer returns: waiting here would hold the receive
    /// endpoint, and with it the process's broker connection, from recovering. The attempt is done: its report must not
    /// be lost to a broker outage or a shutdown that begins now, or the step would run again.
    /// </summary>
    private async Task ReportAsync(StepFinished finished, DateTimeOffset? deadline)
    {
        var settings = options.Value;
        try
        {
            await pending.PublishAsync(finished, TimeSpan.FromSeconds(5));
        }
        catch (Exception ex)
        {
            var until = (deadline ?? time.GetUtcNow() + settings.ReportWindow) + settings.ReportGrace;
            Log.ReportDeferred(logger, ex.GetType().Name, ex.Message, until);
            pending.Add(finished, until);
        }
    }

    private async Task<StepFinished> RunAsync(ConsumeContext context, ExecuteStep command, DateTimeOffset startedAt, DateTimeOffset? attemptDeadline)
    {
        using var deadline = attemptDeadline is { } due
            ? new CancellationTokenSource(due - startedAt, time)
            : new CancellationTokenSource();
        using var stopped = new CancellationTokenSource();
        using var tracked = inFlight.Track(command, stopped);

        // MassTransit cancels the consume token at shutdown (after the grace period) and also when the broker
        // connection drops. Only the first abandons the step: when the broker went away, the step finishes and its
        // report waits for the broker (ReportAsync); abandoning it would run it a second time after the redelivery.
        using var shutdown = new CancellationTokenSource();
        using var onConsumeCancelled = context.CancellationToken.Register(() =>
        {
            if (lifetime is null || lifetime.ApplicationStopping.IsCancellationRequested)
            {
                shutdown.Cancel();
            }
        });
        using var onStopping = lifetime?.ApplicationStopping.Register(() =>
        {
            if (context.CancellationToken.IsCancellationRequested)
            {
                shutdown.Cancel();
            }
        });
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(shutdown.Token, deadline.Token, stopped.Token);
        var masker = SecretMasker.None;
        try
        {
            var secrets = Unseal(command);
            masker = new SecretMasker(secrets.Values);
            var executor = executors.Find(command.StepType)
                ?? throw new StepFailedException($"This worker has no executor for step type '{command.StepType}'.", false, "unsupported");
            var scope = new ExpressionScope(
                command.Input,
                command.StepOutputs,
                new RunInfo(command.RunId, command.Workflow, command.Version, command.Attempt),
                secrets,
                command.CallbackUrls)
            {
                Globals = ItemGlobals(command),
            };
            var output = masker.Apply(await executor.ExecuteAsync(new StepRequest(command, scope), linked.Token));
            Log.StepSucceeded(logger, command.StepType);
            return Finished(command, startedAt, true, Serialize(output), null);
        }
        catch (StepFailedException ex)
        {
            return Failed(command, startedAt, new StepError(masker.Apply(ex.Message), ex.Retryable, ex.Code, ex.Status));
        }
        catch (ExpressionException ex)
        {
            return Failed(command, startedAt, new StepError(masker.Apply(ex.Message), false, "expression"));
        }
        catch (OperationCanceledException) when (shutdown.IsCancellationRequested)
        {
            // Shutdown: no report; Consume lets the message go back to the queue.
            throw;
        }
        catch (OperationCanceledException) when (stopped.IsCancellationRequested)
        {
            // The engine ended the run or the attempt: this report only closes the attempt; the saga ignores it.
            return Failed(command, startedAt, new StepError("The engine stopped this attempt (its run ended or it timed out).", false, "cancelled"));
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            return Failed(command, startedAt, new StepError($"The step did not finish within its timeout (deadline {attemptDeadline:O}).", true, "timeout"));
        }
        catch (Exception ex)
        {
            // A bug in a step type must not leave the run waiting for a report that never comes.
            Log.StepCrashed(logger, command.StepType, masker.Apply(ex.ToString()));
            return Failed(command, startedAt, new StepError(
                $"The worker failed unexpectedly running this step ({ex.GetType().Name}: {masker.Apply(ex.Message)}).",
                false,
                "internal"));
        }
    }

    private Dictionary<string, string> Unseal(ExecuteStep command)
    {
        var secrets = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, sealedValue) in command.SealedSecrets)
        {
            try
            {
                secrets[name] = secretBox.Unseal(command.Workspace, name, sealedValue);
            }
            catch (SecretUnsealException e)
            {
                throw new StepFailedException(e.Message, false, "secret", e);
            }
        }

        return secrets;
    }

    /// <summary>For an item of a for-each step: <c>item</c> and <c>index</c> in its expressions; null otherwise.</summary>
    private static Dictionary<string, JsonElement>? ItemGlobals(ExecuteStep command) => command.Item is { } index
        ? new Dictionary<string, JsonElement>(StringComparer.Ordinal)
        {
            ["item"] = command.ItemValue ?? JsonSerializer.SerializeToElement<object?>(null),
            ["index"] = JsonSerializer.SerializeToElement(index),
        }
        : null;

    private static JsonElement Serialize(JsonNode? output) =>
        output is null ? JsonSerializer.SerializeToElement<object?>(null) : JsonSerializer.SerializeToElement(output);

    private StepFinished Failed(ExecuteStep command, DateTimeOffset startedAt, StepError error)
    {
        Log.StepFailed(logger, command.StepType, error.Message, error.Retryable);
        return Finished(command, startedAt, false, null, error);
    }

    private StepFinished Finished(ExecuteStep command, DateTimeOffset startedAt, bool succeeded, JsonElement? output, StepError? error) => new()
    {
        RunId = command.RunId,
        StepId = command.StepId,
        Attempt = command.Attempt,
        Item = command.Item,
        Succeeded = succeeded,
        Output = output,
        Error = error,
        StartedAt = startedAt,
        Timestamp = time.GetUtcNow(),
    };
}
