using System.Text.Json;
using Flowkit.Contracts;
using Flowkit.Definitions.Expressions;
using Flowkit.Worker.Steps;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace Flowkit.Worker;

/// <summary>
/// Runs one attempt of one step and reports the outcome as <see cref="StepFinished"/>. A step failing is data, not
/// an exception: only infrastructure faults (the broker unreachable while reporting) escape to transport retry.
/// </summary>
[ExcludeFromConfigureEndpoints]
public sealed class ExecuteStepConsumer(StepExecutors executors, TimeProvider time, ILogger<ExecuteStepConsumer> logger) : IConsumer<ExecuteStep>
{
    public async Task Consume(ConsumeContext<ExecuteStep> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var command = context.Message;
        var startedAt = time.GetUtcNow();
        using var scope = logger.BeginScope(new Dictionary<string, object>
        {
            ["RunId"] = command.RunId,
            ["StepId"] = command.StepId,
            ["Attempt"] = command.Attempt,
            ["Workflow"] = command.Workflow,
        });

        using var deadline = new CancellationTokenSource();
        if (command.Deadline is { } due)
        {
            deadline.CancelAfter(Clamp(due - startedAt));
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, deadline.Token);
        StepFinished finished;
        try
        {
            var executor = executors.Find(command.StepType)
                ?? throw new StepFailedException($"This worker has no executor for step type '{command.StepType}'.", false, "unsupported");
            var scopeData = new ExpressionScope(
                command.Input,
                command.StepOutputs,
                new RunInfo(command.RunId, command.Workflow, command.Version, command.Attempt));
            var output = await executor.ExecuteAsync(new StepRequest(command, scopeData), linked.Token);
            finished = Finished(command, startedAt, true, output is null ? JsonSerializer.SerializeToElement<object?>(null) : JsonSerializer.SerializeToElement(output), null);
            Log.StepSucceeded(logger, command.StepType);
        }
        catch (StepFailedException ex)
        {
            finished = Failed(command, startedAt, new StepError(ex.Message, ex.Retryable, ex.Code));
        }
        catch (ExpressionException ex)
        {
            finished = Failed(command, startedAt, new StepError(ex.Message, false, "expression"));
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested)
        {
            finished = Failed(command, startedAt, new StepError($"The step did not finish within its timeout (deadline {command.Deadline:O}).", true, "timeout"));
        }

        await context.Publish(finished, context.CancellationToken);
    }

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
        Succeeded = succeeded,
        Output = output,
        Error = error,
        StartedAt = startedAt,
        Timestamp = time.GetUtcNow(),
    };

    private static TimeSpan Clamp(TimeSpan remaining) =>
        remaining <= TimeSpan.Zero ? TimeSpan.FromMilliseconds(1) : remaining;
}
