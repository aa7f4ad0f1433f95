using Flowkit.Definitions;

namespace Flowkit.Api.Workflows;

/// <summary>A trigger of <see cref="WorkflowGraph"/>.</summary>
/// <param name="Kind"><c>webhook</c> or <c>cron</c>.</param>
/// <param name="Key">Webhooks: the URL key (<c>POST /hooks/{workspace}/{key}</c>).</param>
/// <param name="HasSecret">Webhooks: the hook checks a signature.</param>
/// <param name="Expression">Cron: the expression.</param>
/// <param name="TimeZone">Cron: the time zone (null means UTC).</param>
public sealed record GraphTrigger(string Kind, string? Key, bool HasSecret, string? Expression, string? TimeZone)
{
    internal static GraphTrigger From(TriggerDefinition trigger) => trigger switch
    {
        WebhookTrigger w => new GraphTrigger("webhook", w.Key, w.Secret is not null, null, null),
        CronTrigger c => new GraphTrigger("cron", null, false, c.Expression, c.TimeZone),
        _ => new GraphTrigger("unknown", null, false, null, null),
    };
}
