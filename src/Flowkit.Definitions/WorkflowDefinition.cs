using System.Text.Json;
using Flowkit.Sagas.Planning;

namespace Flowkit.Definitions;

/// <summary>A validated workflow definition (CONTRACT.md section 1), as written: no defaults filled in beyond those noted.</summary>
/// <param name="Name">Workflow name, <c>[a-z0-9][a-z0-9-]{0,63}</c>.</param>
/// <param name="Description">Free text.</param>
/// <param name="Triggers">Webhook and cron triggers, in document order.</param>
/// <param name="Steps">Steps in document order.</param>
/// <param name="Timeout">The whole run fails when it runs longer than this.</param>
/// <param name="Concurrency">Max running runs of this workflow; the rest wait as pending.</param>
public sealed record WorkflowDefinition(
    string Name,
    string? Description,
    IReadOnlyList<TriggerDefinition> Triggers,
    IReadOnlyList<StepDefinition> Steps,
    TimeSpan? Timeout,
    ConcurrencySettings? Concurrency);

/// <summary>Run-level concurrency: at most <paramref name="Limit"/> runs of the workflow run at once.</summary>
public sealed record ConcurrencySettings(int Limit);

/// <summary>A trigger: <see cref="WebhookTrigger"/> or <see cref="CronTrigger"/>.</summary>
public abstract record TriggerDefinition;

/// <summary>Starts a run on <c>POST /hooks/{workspace}/{key}</c>.</summary>
/// <param name="Key">URL key, <c>[a-z0-9][a-z0-9-]{0,63}</c>.</param>
/// <param name="Secret">Template naming the HMAC secret, e.g. <c>{{ secrets.billing_hook }}</c>; null means unsigned.</param>
/// <param name="Dedupe">Expression over the request (<c>body</c>, <c>headers</c>, <c>query</c>) giving the duplicate key.</param>
/// <param name="Limit">Rate limit (with a burst of <see cref="WebhookRateLimit.Count"/>); null means only the workspace limit.</param>
/// <param name="Overflow">What happens over the limit (default <see cref="WebhookOverflow.Reject"/>).</param>
/// <param name="Signature">Which signature schemes a signed hook accepts (default <see cref="WebhookSignature.Any"/>).</param>
/// <param name="RespondTimeout">
/// With <c>respond: result</c>: how long a delivery waits for its run to end before answering 202; null means
/// <c>respond: accepted</c> (answer 202 at once).
/// </param>
public sealed record WebhookTrigger(
    string Key,
    string? Secret,
    string? Dedupe,
    WebhookRateLimit? Limit,
    WebhookOverflow Overflow,
    WebhookSignature Signature = WebhookSignature.Any,
    TimeSpan? RespondTimeout = null)
    : TriggerDefinition
{
    /// <summary>How long a <c>respond: result</c> delivery waits when the trigger names no <c>respondTimeout</c>.</summary>
    public static readonly TimeSpan DefaultRespondTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The longest <c>respondTimeout</c>: proxies and load balancers commonly cut idle requests at 60 to 100 s.</summary>
    public static readonly TimeSpan MaxRespondTimeout = TimeSpan.FromSeconds(100);
}

/// <summary><paramref name="Count"/> requests per <paramref name="Per"/> (one second or one minute).</summary>
public sealed record WebhookRateLimit(int Count, TimeSpan Per);

/// <summary>What a webhook over its limit does.</summary>
public enum WebhookOverflow
{
    /// <summary>Answer 429 with Retry-After.</summary>
    Reject,

    /// <summary>Accept (202); the run stays pending until capacity frees.</summary>
    Queue,
}

/// <summary>Starts runs on a Quartz cron schedule.</summary>
/// <param name="Expression">Quartz cron expression (seconds first, 6 or 7 fields).</param>
/// <param name="TimeZone">IANA time zone id; null means UTC.</param>
/// <param name="Misfire">What fires were missed while no scheduler ran do (default <see cref="CronMisfire.FireOnce"/>).</param>
/// <param name="MisfireLimit">With <see cref="CronMisfire.FireAll"/>: at most this many of the missed fires run (the latest ones).</param>
public sealed record CronTrigger(string Expression, string? TimeZone, CronMisfire Misfire = CronMisfire.FireOnce, int MisfireLimit = CronTrigger.DefaultMisfireLimit)
    : TriggerDefinition
{
    /// <summary>How many missed fires <c>misfire: fireAll</c> runs when the trigger names no <c>misfireLimit</c>.</summary>
    public const int DefaultMisfireLimit = 10;

    /// <summary>The largest <c>misfireLimit</c>: a long outage must not become a flood of runs.</summary>
    public const int MaxMisfireLimit = 1000;
}

/// <summary>What a cron trigger does about fire times missed while no scheduler was running (docs/ingress.md section 6).</summary>
public enum CronMisfire
{
    /// <summary>One catch-up run now for all the missed fires, then the schedule resumes.</summary>
    FireOnce,

    /// <summary>No catch-up run: the schedule resumes at the next fire time.</summary>
    Skip,

    /// <summary>One run per missed fire (the latest <see cref="CronTrigger.MisfireLimit"/> of them), then the schedule resumes.</summary>
    FireAll,
}

/// <summary>One step as written.</summary>
/// <param name="Id">Step id, a JavaScript identifier so that <c>steps.&lt;id&gt;</c> works.</param>
/// <param name="Index">Position in the document (0-based).</param>
/// <param name="Type">One of <see cref="StepTypes.All"/>.</param>
/// <param name="Description">Free text.</param>
/// <param name="Needs">The explicit <c>needs</c>; null when the step has none written (it then follows the previous step).</param>
/// <param name="If">Condition steps: the expression.</param>
/// <param name="Then">Condition steps: steps that run when the expression is truthy.</param>
/// <param name="Else">Condition steps: steps that run when it is falsy.</param>
/// <param name="Message">Approval steps: what the approver is asked (a template).</param>
/// <param name="For">Delay steps: how long to wait.</param>
/// <param name="Until">Delay steps: an ISO 8601 time with offset, or a template giving one.</param>
/// <param name="With">The type's settings (http, transform, notify, script), templates unevaluated.</param>
/// <param name="Retry">Retry policy (<see cref="RetryPolicy.None"/> when not written).</param>
/// <param name="Timeout">Per-attempt timeout (for approvals: how long to wait for a decision).</param>
/// <param name="ContinueOnError">A failure does not fail the run.</param>
public sealed record StepDefinition(
    string Id,
    int Index,
    string Type,
    string? Description,
    IReadOnlyList<string>? Needs,
    string? If,
    IReadOnlyList<string> Then,
    IReadOnlyList<string> Else,
    string? Message,
    TimeSpan? For,
    string? Until,
    JsonElement? With,
    RetryPolicy Retry,
    TimeSpan? Timeout,
    bool ContinueOnError);
