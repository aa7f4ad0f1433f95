using System.Text.Json;

namespace Flowkit.Contracts;

/// <summary>
/// Starts a run that the API has created (status pending). Consumed by the run saga.
/// </summary>
public sealed record StartRun : IRunMessage
{
    /// <summary>The run, which is also the saga's correlation id.</summary>
    public required Guid RunId { get; init; }

    /// <summary>The run attempt (1 for a first run).</summary>
    public int Attempt { get; init; } = 1;

    /// <summary>When the run was requested (UTC).</summary>
    public required DateTimeOffset Timestamp { get; init; }
}

/// <summary>
/// Asks a worker to run one attempt of one step. Carries everything the worker needs, because workers
/// never read the database: the step's settings with templates unevaluated, the run's input and the outputs
/// of the steps its expressions reference.
/// </summary>
public sealed record ExecuteStep : IRunMessage
{
    public required Guid RunId { get; init; }

    public required string StepId { get; init; }

    /// <summary>Attempt number, from 1. A result for another attempt than the current one is ignored by the saga.</summary>
    public required int Attempt { get; init; }

    /// <summary>The step type (http, transform, condition, notify, script).</summary>
    public required string StepType { get; init; }

    /// <summary>The step's settings from the definition (<c>with</c>, <c>if</c>, ...), templates unevaluated.</summary>
    public required JsonElement Spec { get; init; }

    /// <summary>The run's input (for webhooks: <c>{body, headers, query}</c>).</summary>
    public required JsonElement Input { get; init; }

    /// <summary>Outputs of the steps this step's expressions read, by step id.</summary>
    public required IReadOnlyDictionary<string, JsonElement> StepOutputs { get; init; }

    /// <summary>
    /// The secrets this step's expressions reference, by name, still sealed (AES-GCM, base64 of nonce, ciphertext
    /// and tag): a message at rest in RabbitMQ never holds a secret's value. The worker unseals them at execution.
    /// </summary>
    public IReadOnlyDictionary<string, string> SealedSecrets { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// The URLs of the run's callback steps, by step id (<c>steps.&lt;id&gt;.callbackUrl</c>): known from the run's
    /// start, so any step can send one out. Empty when the workflow has no callback step.
    /// </summary>
    public IReadOnlyDictionary<string, string> CallbackUrls { get; init; } = new Dictionary<string, string>();

    public required string Workspace { get; init; }

    public required string Workflow { get; init; }

    public required int Version { get; init; }

    /// <summary>
    /// The latest moment this attempt may still be running: <see cref="StartBy"/> plus <see cref="Timeout"/>. A worker
    /// that knows <see cref="Timeout"/> counts the timeout from its own start instead (docs/reliability.md).
    /// </summary>
    public DateTimeOffset? Deadline { get; init; }

    /// <summary>The attempt's timeout, counted from the moment a worker starts it (time waiting for delivery does not count).</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>
    /// The end of this copy's delivery window: a worker that receives it later does not start it, because the engine
    /// sends the attempt again (a new <see cref="Delivery"/>) when no report came in time.
    /// </summary>
    public DateTimeOffset? StartBy { get; init; }

    /// <summary>Which sending of this attempt this is, from 1 (an attempt that never started is sent again, same attempt number).</summary>
    public int Delivery { get; init; } = 1;

    /// <summary>
    /// For an item of a for-each step: its index in the list (from 0), readable as <c>index</c> in expressions; null for
    /// an ordinary step. <see cref="Attempt"/> then counts the item's own attempts.
    /// </summary>
    public int? Item { get; init; }

    /// <summary>For an item of a for-each step: the item's value, readable as <c>item</c> in expressions.</summary>
    public JsonElement? ItemValue { get; init; }

    public required DateTimeOffset Timestamp { get; init; }

    /// <summary>
    /// The stable idempotency key of the step, sent to HTTP targets: <c>{runId}:{stepId}</c>, or for an item of a
    /// for-each step <c>{runId}:{stepId}:{index}</c>.
    /// </summary>
    public string IdempotencyKey => Item is { } item ? $"{RunId}:{StepId}:{item}" : $"{RunId}:{StepId}";
}

/// <summary>A worker's report of one attempt of one step: an output, or an error.</summary>
public sealed record StepFinished : IRunMessage
{
    public required Guid RunId { get; init; }

    public required string StepId { get; init; }

    public required int Attempt { get; init; }

    /// <summary>For an item of a for-each step: its index (as in <see cref="ExecuteStep.Item"/>); null for an ordinary step.</summary>
    public int? Item { get; init; }

    /// <summary>True when the attempt produced an output; false when <see cref="Error"/> says why not.</summary>
    public required bool Succeeded { get; init; }

    /// <summary>The step's output (null for a failed attempt).</summary>
    public JsonElement? Output { get; init; }

    public StepError? Error { get; init; }

    /// <summary>When the worker started the attempt (UTC).</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>When the worker finished the attempt (UTC).</summary>
    public required DateTimeOffset Timestamp { get; init; }
}

/// <summary>Why an attempt failed.</summary>
/// <param name="Message">A message a person can act on.</param>
/// <param name="Retryable">Whether another attempt may succeed (5xx, 429, timeouts) or not (4xx, bad template).</param>
/// <param name="Code">A stable machine-readable code, e.g. <c>http_status</c>, <c>expression</c>, <c>timeout</c>.</param>
/// <param name="Status">For <c>http_status</c>: the HTTP status the target answered (for <c>retry.on</c> rules).</param>
public sealed record StepError(string Message, bool Retryable, string? Code = null, int? Status = null);
