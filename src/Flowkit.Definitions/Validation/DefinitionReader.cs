using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Flowkit.Definitions.Expressions;
using Flowkit.Sagas.Planning;

namespace Flowkit.Definitions.Validation;

/// <summary>
/// Reads a definition document into drafts and reports every problem it finds with its JSON path; it never
/// stops at the first. Cross-step checks (references, cycles, reachability) are <see cref="DependencyGraph"/>'s.
/// </summary>
internal sealed partial class DefinitionReader(ExpressionEngine expressions, ProblemCollector problems)
{
    internal static readonly string[] TopLevelKeys = ["name", "description", "triggers", "timeout", "concurrency", "steps"];
    internal static readonly string[] CommonStepKeys = ["id", "type", "description", "needs", "timeout", "retry", "continueOnError"];
    internal static readonly string[] RetryKeys = ["attempts", "backoff", "delay", "maxDelay", "jitter", "on"];
    internal static readonly string[] HttpWithKeys = ["method", "url", "headers", "body", "expectedStatuses"];
    internal static readonly string[] NotifyWithKeys = ["url", "text"];
    internal static readonly string[] ScriptWithKeys = ["code"];

    /// <summary><c>resolved</c> is written by Flowkit when the workflow is saved (Connectors/ConnectorBinding.cs); what a user writes there is replaced.</summary>
    internal static readonly string[] ConnectorWithKeys = ["connector", "action", "version", "params", "resolved"];
    internal static readonly string[] WebhookKeys = ["key", "secret", "dedupe", "limit", "overflow", "signature", "respond", "respondTimeout"];
    internal static readonly string[] RespondModes = ["accepted", "result"];
    internal static readonly string[] CronKeys = ["expression", "timezone", "misfire", "misfireLimit"];
    internal static readonly string[] MisfirePolicies = ["fireOnce", "skip", "fireAll"];
    internal static readonly string[] OverflowModes = ["reject", "queue"];
    internal static readonly string[] SignatureModes = ["any", "timestamped"];
    internal static readonly string[] BackoffKinds = ["fixed", "exponential"];
    internal static readonly string[] ConcurrencyKeys = ["limit"];
    internal static readonly string[] HttpMethods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"];

    /// <summary>
    /// For-each keys, allowed on the step types that run on workers (http, transform, notify, script). Not on
    /// condition (one branch per run, not per item), approval, delay or callback (one wait each, in the engine).
    /// </summary>
    internal static readonly string[] ForEachKeys = ["forEach", "concurrency"];

    /// <summary>Keys each step type adds to <see cref="CommonStepKeys"/>.</summary>
    internal static readonly IReadOnlyDictionary<string, string[]> TypeKeys = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        [StepTypes.Http] = ["with", .. ForEachKeys],
        [StepTypes.Transform] = ["with", .. ForEachKeys],
        [StepTypes.Condition] = ["if", "then", "else"],
        [StepTypes.Approval] = ["message"],
        [StepTypes.Delay] = ["for", "until"],
        [StepTypes.Notify] = ["with", .. ForEachKeys],
        [StepTypes.Script] = ["with", .. ForEachKeys],
        [StepTypes.Callback] = [],
        [StepTypes.Connector] = ["with"],
    };

    internal static readonly Bounds StepTimeout = new(TimeSpan.FromSeconds(1), TimeSpan.FromDays(30));
    internal static readonly Bounds RunTimeout = new(TimeSpan.FromSeconds(1), TimeSpan.FromDays(30));
    internal static readonly Bounds RetryDelay = new(TimeSpan.FromMilliseconds(100), TimeSpan.FromDays(1));
    internal static readonly Bounds RetryMaxDelay = new(TimeSpan.FromMilliseconds(100), TimeSpan.FromDays(7));
    internal static readonly Bounds RespondTimeout = new(TimeSpan.FromSeconds(1), WebhookTrigger.MaxRespondTimeout);
    internal static readonly Bounds DelayFor = new(TimeSpan.FromSeconds(1), TimeSpan.FromDays(365));
    internal const int MaxAttempts = 100;
    internal const int MaxConcurrency = 10_000;

    /// <summary>The largest <c>concurrency</c> of a for-each step: items in flight of one step at once.</summary>
    internal const int MaxItemConcurrency = 100;
    internal const int MaxRatePerWindow = 1_000_000;

    private static readonly string[] AllStepKeys = CommonStepKeys.Concat(TypeKeys.Values.SelectMany(k => k)).Distinct().ToArray();
    private static readonly string KnownTypes = string.Join(", ", StepTypes.All);

    private readonly ExpressionEngine _expressions = expressions;
    private readonly ProblemCollector _problems = problems;

    public IReadOnlyList<ValidationError> Errors => _problems.Errors;

    public List<StepDraft> Steps { get; } = [];

    public string? Name { get; private set; }

    public string? Description { get; private set; }

    public List<TriggerDefinition> Triggers { get; } = [];

    public TimeSpan? Timeout { get; private set; }

    public ConcurrencySettings? Concurrency { get; private set; }

    public void Read(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            Error(JsonPath.Root, $"A workflow definition must be a group of settings (name, steps, ...), but this is {Describe(root)}.");
            return;
        }

        var settings = Properties(root, JsonPath.Root, TopLevelKeys,
            key => $"Unknown setting '{key}'. Allowed at the top level: {string.Join(", ", TopLevelKeys)}.{_problems.DidYouMean(key, TopLevelKeys)}");

        ReadName(settings);
        if (settings.TryGetValue("description", out var description) && ExpectString(description, "The description", out var text))
        {
            Description = text;
        }

        if (settings.TryGetValue("timeout", out var timeout))
        {
            Timeout = ReadDuration(timeout, "The run timeout", RunTimeout);
        }

        if (settings.TryGetValue("concurrency", out var concurrency))
        {
            ReadConcurrency(concurrency);
        }

        if (settings.TryGetValue("triggers", out var triggers))
        {
            ReadTriggers(triggers);
        }

        if (!settings.TryGetValue("steps", out var steps))
        {
            Error("$.steps", "The workflow has no steps. Add 'steps' with a list of at least one step.");
        }
        else
        {
            ReadSteps(steps);
        }
    }

    private void ReadName(Dictionary<string, Value> settings)
    {
        if (!settings.TryGetValue("name", out var name))
        {
            Error("$.name", "The workflow needs a name, like 'invoice-approval'.");
            return;
        }

        if (!ExpectString(name, "The name", out var text))
        {
            return;
        }

        if (!NamePattern().IsMatch(text))
        {
            Error(name.Path, $"The name '{text}' is not allowed. Use 1 to 64 lowercase letters, digits and dashes, starting with a letter or digit, like 'invoice-approval'.");
            return;
        }

        Name = text;
    }

    private void ReadConcurrency(Value concurrency)
    {
        if (!ExpectObject(concurrency, "'concurrency'", "like concurrency: { limit: 5 }"))
        {
            return;
        }

        var settings = Properties(concurrency.Element, concurrency.Path, ConcurrencyKeys,
            key => $"Unknown setting '{key}' in concurrency. Only 'limit' is allowed.");
        if (!settings.TryGetValue("limit", out var limit))
        {
            Error(JsonPath.Property(concurrency.Path, "limit"), "Concurrency needs a limit: how many runs of this workflow may run at once, like limit: 5.");
            return;
        }

        if (ReadWholeNumber(limit, "The concurrency limit", 1, MaxConcurrency) is { } value)
        {
            Concurrency = new ConcurrencySettings(value);
        }
    }

    private void ReadTriggers(Value triggers)
    {
        if (triggers.Element.ValueKind != JsonValueKind.Array)
        {
            Error(triggers.Path, $"'triggers' must be a list (each item a webhook or a cron), but it is {Describe(triggers.Element)}.");
            return;
        }

        var count = triggers.Element.GetArrayLength();
        if (_problems.Quotas && count > _problems.Limits.MaxTriggers)
        {
            Error(triggers.Path, $"The workflow has {count.ToString("N0", CultureInfo.InvariantCulture)} triggers; at most {_problems.Limits.MaxTriggers.ToString("N0", CultureInfo.InvariantCulture)} are allowed (setting Flowkit:Limits:MaxTriggers).");
            return;
        }

        var webhookKeys = new Dictionary<string, int>(StringComparer.Ordinal);
        var index = 0;
        foreach (var item in triggers.Element.EnumerateArray())
        {
            var path = JsonPath.Item(triggers.Path, index++);
            if (item.ValueKind != JsonValueKind.Object)
            {
                Error(path, $"Each trigger must be 'webhook: {{...}}' or 'cron: {{...}}', but trigger {index} is {Describe(item)}.");
                continue;
            }

            var kinds = Properties(item, path, ["webhook", "cron"],
                key => $"Unknown trigger '{key}'. Use 'webhook' or 'cron'.{_problems.DidYouMean(key, ["webhook", "cron"])}");
            if (kinds.Count > 1)
            {
                Error(path, "Each trigger item is either a webhook or a cron; write them as separate items of the list.");
            }

            if (kinds.TryGetValue("webhook", out var webhook))
            {
                ReadWebhook(webhook, index, webhookKeys);
            }

            if (kinds.TryGetValue("cron", out var cron))
            {
                ReadCron(cron);
            }

            if (!item.EnumerateObject().Any())
            {
                Error(path, "This trigger is empty. Write 'webhook: {...}' or 'cron: {...}'.");
            }
        }
    }

    private void ReadWebhook(Value webhook, int number, Dictionary<string, int> keys)
    {
        if (!ExpectObject(webhook, "A webhook trigger", "like webhook: { key: invoices }"))
        {
            return;
        }

        var settings = Properties(webhook.Element, webhook.Path, WebhookKeys,
            key => $"Unknown webhook setting '{key}'. Allowed: {string.Join(", ", WebhookKeys)}.{_problems.DidYouMean(key, WebhookKeys)}");
        string? key = null;
        if (!settings.TryGetValue("key", out var keyValue))
        {
            Error(JsonPath.Property(webhook.Path, "key"), "A webhook needs a key: the last part of its address /hooks/<workspace>/<key>, like key: invoices.");
        }
        else if (ExpectString(keyValue, "The webhook key", out var text))
        {
            if (!NamePattern().IsMatch(text))
            {
                Error(keyValue.Path, $"The webhook key '{text}' is not allowed. Use 1 to 64 lowercase letters, digits and dashes, starting with a letter or digit, like 'new-invoice'.");
            }
            else if (keys.TryGetValue(text, out var first))
            {
                Error(keyValue.Path, $"The webhook key '{text}' is already used by trigger {first}. Each webhook needs its own key.");
            }
            else
            {
                keys[text] = number;
                key = text;
            }
        }

        string? secret = null;
        if (settings.TryGetValue("secret", out var secretValue) && ExpectString(secretValue, "The webhook secret", out var secretText))
        {
            var template = _expressions.ParseTemplate(secretText);
            if (!template.IsSingleExpression)
            {
                Error(secretValue.Path, "Write the webhook secret as a reference like '{{ secrets.billing_hook }}' and store its value under Secrets; a secret written here as plain text would be stored with the definition.");
            }
            else if (template.Error is not null)
            {
                Error(secretValue.Path, template.Error);
            }
            else
            {
                secret = secretText;
            }
        }

        string? dedupe = null;
        if (settings.TryGetValue("dedupe", out var dedupeValue) && ExpectString(dedupeValue, "'dedupe'", out var dedupeText))
        {
            var parsed = _expressions.ParseExpression(dedupeText);
            if (parsed.Error is not null)
            {
                Error(dedupeValue.Path, $"The dedupe expression '{dedupeText}' cannot be read: {parsed.Error}. It names the part of the request that identifies a delivery, like body.id.");
            }
            else
            {
                dedupe = dedupeText;
            }
        }

        WebhookRateLimit? limit = null;
        if (settings.TryGetValue("limit", out var limitValue) && ExpectString(limitValue, "The webhook limit", out var limitText))
        {
            limit = ReadRateLimit(limitText, limitValue.Path);
        }

        var overflow = WebhookOverflow.Reject;
        if (settings.TryGetValue("overflow", out var overflowValue) && ExpectString(overflowValue, "'overflow'", out var overflowText))
        {
            switch (overflowText)
            {
                case "reject":
                    break;
                case "queue":
                    overflow = WebhookOverflow.Queue;
                    break;
                default:
                    Error(overflowValue.Path, $"'overflow' must be 'reject' (answer 429 when over the limit) or 'queue' (accept and start the run later), not '{overflowText}'.");
                    break;
            }
        }

        // Issue 19: a hook may require the timestamped signature (replay-safe); it needs a secret to sign with.
        var signature = WebhookSignature.Any;
        if (settings.TryGetValue("signature", out var signatureValue) && ExpectString(signatureValue, "'signature'", out var signatureText))
        {
            switch (signatureText)
            {
                case "any":
                    break;
                case "timestamped":
                    signature = WebhookSignature.Timestamped;
                    break;
                default:
                    Error(signatureValue.Path, $"'signature' must be 'timestamped' (only 't=<unix time>,v1=<HMAC of \"<t>.<body>\">' is accepted) or 'any' (that or 'sha256=<HMAC of the body>'), not '{signatureText}'.");
                    break;
            }

            if (!settings.ContainsKey("secret"))
            {
                Error(signatureValue.Path, "'signature' needs 'secret': a hook is signed with a secret, like secret: \"{{ secrets.billing_hook }}\".");
            }
        }

        var respondTimeout = ReadRespond(settings);
        if (key is not null)
        {
            Triggers.Add(new WebhookTrigger(key, secret, dedupe, limit, overflow, signature, respondTimeout));
        }
    }

    /// <summary><c>respond</c> and <c>respondTimeout</c> (issue #18): the wait of a <c>respond: result</c> hook, or null.</summary>
    private TimeSpan? ReadRespond(Dictionary<string, Value> settings)
    {
        var result = false;
        var accepted = !settings.ContainsKey("respond");
        if (settings.TryGetValue("respond", out var respondValue) && ExpectString(respondValue, "'respond'", out var respondText))
        {
            switch (respondText)
            {
                case "accepted":
                    accepted = true;
                    break;
                case "result":
                    result = true;
                    break;
                default:
                    Error(respondValue.Path, $"'respond' must be 'accepted' (answer 202 with the run id at once) or 'result' (answer with the run's output when it ends), not '{respondText}'.");
                    break;
            }
        }

        var timeout = WebhookTrigger.DefaultRespondTimeout;
        if (settings.TryGetValue("respondTimeout", out var timeoutValue))
        {
            if (accepted)
            {
                Error(timeoutValue.Path, "'respondTimeout' is how long a 'respond: result' webhook waits for its run; add respond: result, or remove it.");
            }
            else if (ReadDuration(timeoutValue, "'respondTimeout'", RespondTimeout) is { } given)
            {
                timeout = given;
            }
        }

        return result ? timeout : null;
    }

    private WebhookRateLimit? ReadRateLimit(string text, string path)
    {
        var match = RatePattern().Match(text);
        if (!match.Success)
        {
            Error(path, $"The webhook limit '{text}' is not a rate. Write a number of requests per second or per minute, like 50/s or 100/m.");
            return null;
        }

        if (!int.TryParse(match.Groups["count"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count < 1 || count > MaxRatePerWindow)
        {
            Error(path, $"The webhook limit '{text}' must allow from 1 to {MaxRatePerWindow.ToString("N0", CultureInfo.InvariantCulture)} requests.");
            return null;
        }

        return new WebhookRateLimit(count, match.Groups["unit"].Value == "s" ? TimeSpan.FromSeconds(1) : TimeSpan.FromMinutes(1));
    }

    private void ReadCron(Value cron)
    {
        if (!ExpectObject(cron, "A cron trigger", "like cron: { expression: \"0 0 9 ? * MON-FRI\", timezone: Europe/Berlin }"))
        {
            return;
        }

        var settings = Properties(cron.Element, cron.Path, CronKeys,
            key => $"Unknown cron setting '{key}'. Allowed: {string.Join(", ", CronKeys)}.{_problems.DidYouMean(key, CronKeys)}");
        string? expression = null;
        if (!settings.TryGetValue("expression", out var expressionValue))
        {
            Error(JsonPath.Property(cron.Path, "expression"), "A cron trigger needs an expression, like expression: \"0 0 9 ? * MON-FRI\" (9:00 on weekdays).");
        }
        else if (ExpectString(expressionValue, "The cron expression", out var text))
        {
            try
            {
                var parsed = new Quartz.CronExpression(text);
                expression = text;
                if (_problems.Quotas && settings.TryGetValue("timezone", out var zoneSetting) && zoneSetting.Element.ValueKind == JsonValueKind.String)
                {
                    parsed = InTimeZone(parsed, zoneSetting.Element.GetString()!);
                }

                if (_problems.Quotas && CronIntervals.Shortest(parsed) is { } shortest && shortest < _problems.Limits.MinCronInterval)
                {
                    Error(expressionValue.Path, $"The cron expression '{text}' fires {Durations.Format(shortest)} apart; triggers may fire at most once every {Durations.Format(_problems.Limits.MinCronInterval)} (setting Flowkit:Limits:MinCronInterval).");
                    expression = null;
                }
            }
            catch (FormatException e)
            {
                const string help = "Cron expressions here have 6 or 7 fields: seconds minutes hours day-of-month month day-of-week [year], like \"0 0 9 ? * MON-FRI\" (9:00 on weekdays); use ? in one of the two day fields.";
                // Quartz's own advice for the 5-field form names its API; say it for people instead.
                var reason = text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length == 5
                    ? "it has 5 fields, the Unix crontab form, but Flowkit uses Quartz cron, which starts with a seconds field"
                    : e.Message.TrimEnd('.');
                Error(expressionValue.Path, $"The cron expression '{text}' is not valid: {reason}. {help}");
            }
        }

        string? timeZone = null;
        if (settings.TryGetValue("timezone", out var zoneValue) && ExpectString(zoneValue, "The time zone", out var zone))
        {
            timeZone = ReadTimeZone(zone, zoneValue.Path);
        }

        var misfire = CronMisfire.FireOnce;
        if (settings.TryGetValue("misfire", out var misfireValue) && ExpectString(misfireValue, "'misfire'", out var misfireText))
        {
            switch (misfireText)
            {
                case "fireOnce":
                    break;
                case "skip":
                    misfire = CronMisfire.Skip;
                    break;
                case "fireAll":
                    misfire = CronMisfire.FireAll;
                    break;
                default:
                    Error(misfireValue.Path, $"'misfire' must be 'fireOnce' (one catch-up run for the fires missed while no scheduler ran), 'skip' (none) or 'fireAll' (one per missed fire, at most misfireLimit), not '{misfireText}'.{_problems.DidYouMean(misfireText, MisfirePolicies)}");
                    break;
            }
        }

        var misfireLimit = CronTrigger.DefaultMisfireLimit;
        if (settings.TryGetValue("misfireLimit", out var limitValue))
        {
            if (misfire != CronMisfire.FireAll)
            {
                Error(limitValue.Path, "'misfireLimit' caps how many missed fires 'misfire: fireAll' runs; add misfire: fireAll, or remove it.");
            }
            else if (ReadWholeNumber(limitValue, "'misfireLimit'", 1, CronTrigger.MaxMisfireLimit) is { } given)
            {
                misfireLimit = given;
            }
        }

        if (expression is not null)
        {
            Triggers.Add(new CronTrigger(expression, timeZone, misfire, misfireLimit));
        }
    }

    /// <summary>The expression in its trigger's zone (a daylight-saving change can shorten a gap), or as it is when the zone is unknown.</summary>
    private static Quartz.CronExpression InTimeZone(Quartz.CronExpression cron, string zone)
    {
        try
        {
            return cron.WithTimeZone(TimeZoneInfo.FindSystemTimeZoneById(zone));
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException or ArgumentException)
        {
            // Reported with its path by ReadTimeZone; the interval is then checked in UTC.
            return cron;
        }
    }

    private string? ReadTimeZone(string zone, string path)
    {
        const string help = "Use an IANA time zone name like 'Asia/Seoul', 'Europe/Berlin', 'America/New_York' or 'UTC'.";
        try
        {
            var found = TimeZoneInfo.FindSystemTimeZoneById(zone);
            if (!string.Equals(found.Id, zone, StringComparison.Ordinal))
            {
                Error(path, $"Write the time zone exactly as '{found.Id}'.");
                return null;
            }

            return zone;
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException or ArgumentException)
        {
            Error(path, $"Unknown time zone '{zone}'. {help}");
            return null;
        }
    }

    private void ReadSteps(Value steps)
    {
        if (steps.Element.ValueKind != JsonValueKind.Array)
        {
            Error(steps.Path, $"'steps' must be a list of steps, but it is {Describe(steps.Element)}.");
            return;
        }

        if (steps.Element.GetArrayLength() == 0)
        {
            Error(steps.Path, "The workflow has no steps. Add at least one step to the 'steps' list.");
            return;
        }

        var count = steps.Element.GetArrayLength();
        if (_problems.Quotas && count > _problems.Limits.MaxSteps)
        {
            // Nothing else about the steps is read: that is the work the limit is there to bound.
            Error(steps.Path, $"The workflow has {count.ToString("N0", CultureInfo.InvariantCulture)} steps; at most {_problems.Limits.MaxSteps.ToString("N0", CultureInfo.InvariantCulture)} are allowed (setting Flowkit:Limits:MaxSteps). Split it into smaller workflows.");
            return;
        }

        var index = 0;
        foreach (var element in steps.Element.EnumerateArray())
        {
            _problems.CancellationToken.ThrowIfCancellationRequested();
            var step = new StepDraft(index++);
            Steps.Add(step);
            ReadStep(element, step);
        }

        var ids = new Dictionary<string, StepDraft>(StringComparer.Ordinal);
        foreach (var step in Steps)
        {
            if (step.Id is null)
            {
                continue;
            }

            if (ids.TryGetValue(step.Id, out var first))
            {
                Error(JsonPath.Property(step.Path, "id"), $"Step id '{step.Id}' is already used by step {first.Index + 1}. Each step needs its own id.");
                step.Id = null;
            }
            else
            {
                ids[step.Id] = step;
            }
        }
    }

    private void ReadStep(JsonElement element, StepDraft step)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            Error(step.Path, $"Step {step.Index + 1} must be a group of settings with at least an id and a type, but it is {Describe(element)}.");
            return;
        }

        var settings = Properties(element, step.Path, null, null);
        if (!settings.TryGetValue("id", out var id))
        {
            Error(JsonPath.Property(step.Path, "id"), $"Step {step.Index + 1} has no id. Give it a short unique id like 'fetch_invoice'.");
        }
        else if (ExpectString(id, $"The id of step {step.Index + 1}", out var idText))
        {
            if (!StepIdPattern().IsMatch(idText))
            {
                Error(id.Path, $"Step id '{idText}' is not allowed. Use letters, digits and underscores (no dashes or spaces), starting with a letter or underscore, at most 64 characters, like 'fetch_invoice'; expressions read a step's output as steps.<id>.output.");
            }

            step.Id = idText;
        }

        if (!settings.TryGetValue("type", out var type))
        {
            Error(JsonPath.Property(step.Path, "type"), $"Step {step.Name} has no type. Known types: {KnownTypes}.");
        }
        else if (ExpectString(type, $"The type of step {step.Name}", out var typeText))
        {
            if (TypeKeys.ContainsKey(typeText))
            {
                step.Type = typeText;
            }
            else
            {
                Error(type.Path, $"Step {step.Name} has unknown type '{typeText}'. Known types: {KnownTypes}.{_problems.DidYouMean(typeText, StepTypes.All)}");
            }
        }

        CheckStepKeys(step, settings);

        if (settings.TryGetValue("description", out var description) && ExpectString(description, "A step description", out var descriptionText))
        {
            step.Description = descriptionText;
        }

        if (settings.TryGetValue("needs", out var needs))
        {
            step.Needs = ReadIdList(needs, $"The needs of step {step.Name}");
        }

        if (settings.TryGetValue("timeout", out var timeout))
        {
            step.Timeout = ReadDuration(timeout, $"The timeout of step {step.Name}", StepTimeout);
        }

        if (settings.TryGetValue("retry", out var retry))
        {
            step.Retry = ReadRetry(retry, step) ?? RetryPolicy.None;
        }

        if (settings.TryGetValue("continueOnError", out var continueOnError))
        {
            if (continueOnError.Element.ValueKind is JsonValueKind.True or JsonValueKind.False)
            {
                step.ContinueOnError = continueOnError.Element.GetBoolean();
            }
            else
            {
                Error(continueOnError.Path, $"'continueOnError' must be true or false, but it is {Describe(continueOnError.Element)}.");
            }
        }

        ReadForEach(step, settings);

        switch (step.Type)
        {
            case StepTypes.Http:
                ReadHttp(step, settings);
                break;
            case StepTypes.Transform:
                ReadTransform(step, settings);
                break;
            case StepTypes.Condition:
                ReadCondition(step, settings);
                break;
            case StepTypes.Approval:
                ReadApproval(step, settings);
                break;
            case StepTypes.Delay:
                ReadDelay(step, settings);
                break;
            case StepTypes.Notify:
                ReadNotify(step, settings);
                break;
            case StepTypes.Script:
                ReadScript(step, settings);
                break;
            case StepTypes.Callback:
                ReadCallback(step, settings);
                break;
            case StepTypes.Connector:
                ReadConnector(step, settings);
                break;
        }
    }

    /// <summary><c>forEach</c> (an expression giving a list) and <c>concurrency</c> (items at once), on the types that allow them.</summary>
    private void ReadForEach(StepDraft step, Dictionary<string, Value> settings)
    {
        var allowed = step.Type is not null && TypeKeys[step.Type].Contains("forEach", StringComparer.Ordinal);
        var hasForEach = settings.TryGetValue("forEach", out var forEach);
        if (hasForEach && allowed && ExpectString(forEach, $"'forEach' of step {step.Name}", out var text))
        {
            if (!TemplateText.HasTemplate(text))
            {
                Error(forEach.Path, $"'forEach' of step {step.Name} must be an expression giving a list, like forEach: \"{{{{ steps.fetch.output.body.items }}}}\", but it is plain text.");
            }
            else if (ScanTemplates(forEach.Element, forEach.Path, step))
            {
                step.ForEach = text;
                step.ForEachPath = forEach.Path;
            }
        }

        if (settings.TryGetValue("concurrency", out var concurrency) && allowed)
        {
            if (!hasForEach)
            {
                Error(concurrency.Path, $"'concurrency' of step {step.Name} says how many items of a for-each step run at once; add forEach, or remove it.");
            }
            else if (ReadWholeNumber(concurrency, $"The concurrency of step {step.Name}", 1, MaxItemConcurrency) is { } value)
            {
                step.ForEachConcurrency = value;
            }
        }
    }

    private void CheckStepKeys(StepDraft step, Dictionary<string, Value> settings)
    {
        var allowed = step.Type is null ? AllStepKeys : CommonStepKeys.Concat(TypeKeys[step.Type]).ToArray();
        foreach (var (key, value) in settings)
        {
            if (allowed.Contains(key, StringComparer.Ordinal))
            {
                continue;
            }

            var owners = TypeKeys.Where(t => t.Value.Contains(key, StringComparer.Ordinal)).Select(t => t.Key).ToArray();
            var allowedText = step.Type is null ? string.Join(", ", allowed) : $"{string.Join(", ", allowed)} (for {step.Type} steps)";
            var message = owners.Length > 0
                ? $"Step {step.Name} does not use '{key}': it belongs to {string.Join(" and ", owners)} steps. Allowed here: {allowedText}."
                : $"Step {step.Name} has an unknown setting '{key}'. Allowed here: {allowedText}.{_problems.DidYouMean(key, allowed)}";
            Error(value.Path, message);
        }
    }

    private void ReadHttp(StepDraft step, Dictionary<string, Value> settings)
    {
        if (!RequireWith(step, settings, "an http step needs at least a url, like with: { method: GET, url: \"http://127.0.0.1:8080/items\" }", out var with))
        {
            return;
        }

        var fields = Properties(with.Element, with.Path, HttpWithKeys,
            key => $"Step {step.Name}: unknown http setting '{key}'. Allowed in 'with': {string.Join(", ", HttpWithKeys)}.{_problems.DidYouMean(key, HttpWithKeys)}");
        if (fields.TryGetValue("method", out var method) && ExpectString(method, "The method", out var methodText) && !HttpMethods.Contains(methodText, StringComparer.Ordinal))
        {
            var upper = methodText.ToUpperInvariant();
            var hint = HttpMethods.Contains(upper, StringComparer.Ordinal) ? $" Write it in capitals: {upper}." : string.Empty;
            Error(method.Path, $"Method '{methodText}' is not supported. Use one of {string.Join(", ", HttpMethods)}.{hint}");
        }

        RequireUrl(step, fields, with.Path, "an http step calls this address");
        if (fields.TryGetValue("headers", out var headers))
        {
            if (headers.Element.ValueKind != JsonValueKind.Object)
            {
                Error(headers.Path, $"'headers' must be a group of name: value pairs, like headers: {{ Accept: application/json }}, but it is {Describe(headers.Element)}.");
            }
            else
            {
                foreach (var (name, value) in Properties(headers.Element, headers.Path, null, null))
                {
                    if (value.Element.ValueKind != JsonValueKind.String)
                    {
                        Error(value.Path, $"The value of header '{name}' must be text, but it is {Describe(value.Element)}. Put it in quotes.");
                    }
                }
            }
        }

        if (fields.TryGetValue("expectedStatuses", out var statuses))
        {
            ReadStatuses(statuses);
        }

        ScanTemplates(with.Element, with.Path, step);
        step.With = with.Element;
    }

    /// <summary>
    /// <c>connector</c>: <c>with: {connector, action, params?, version?}</c>. Only the shape is checked here; whether the
    /// connector and action exist and the params fit the action's schema is checked against the stored connector when
    /// the workflow is saved (Connectors/ConnectorBinding.cs).
    /// </summary>
    private void ReadConnector(StepDraft step, Dictionary<string, Value> settings)
    {
        if (!RequireWith(step, settings, "a connector step names a connector and one of its actions, like with: { connector: github, action: create_issue, params: { title: Hello } }", out var with))
        {
            return;
        }

        var fields = Properties(with.Element, with.Path, ConnectorWithKeys,
            key => $"Step {step.Name}: unknown connector setting '{key}'. Allowed in 'with': connector, action, params, version.{_problems.DidYouMean(key, ConnectorWithKeys)}");
        if (!fields.TryGetValue("connector", out var connector))
        {
            Error(JsonPath.Property(with.Path, "connector"), $"Step {step.Name} needs 'connector': the name of a registered connector, like github.");
        }
        else if (ExpectString(connector, "The connector", out var name) && !NamePattern().IsMatch(name))
        {
            Error(connector.Path, $"'{name}' is not a connector name: 1 to 64 lowercase letters, digits and dashes, like github.");
        }

        if (!fields.TryGetValue("action", out var action))
        {
            Error(JsonPath.Property(with.Path, "action"), $"Step {step.Name} needs 'action': one of the connector's actions, like create_issue.");
        }
        else
        {
            ExpectString(action, "The action", out _);
        }

        if (fields.TryGetValue("version", out var version))
        {
            ReadWholeNumber(version, "The connector version", 1, int.MaxValue);
        }

        if (fields.TryGetValue("params", out var parameters))
        {
            if (ExpectObject(parameters, "'params'", "name: value pairs, like { title: Hello }"))
            {
                ScanTemplates(parameters.Element, parameters.Path, step);
            }
        }

        if (fields.TryGetValue("resolved", out var resolved) && resolved.Element.ValueKind != JsonValueKind.Object)
        {
            Error(resolved.Path, "'resolved' is written by Flowkit when the workflow is saved; remove it.");
        }

        step.With = with.Element;
    }

    private void ReadStatuses(Value statuses)
    {
        if (statuses.Element.ValueKind != JsonValueKind.Array)
        {
            Error(statuses.Path, $"'expectedStatuses' must be a list of HTTP status codes, like [200, 404], but it is {Describe(statuses.Element)}.");
            return;
        }

        var index = 0;
        foreach (var status in statuses.Element.EnumerateArray())
        {
            var path = JsonPath.Item(statuses.Path, index++);
            if (status.ValueKind != JsonValueKind.Number || !status.TryGetInt32(out var code) || code < 100 || code > 599)
            {
                Error(path, $"Each expected status must be a whole number from 100 to 599, like 404, but this is {Describe(status)}.");
            }
        }
    }

    private void ReadTransform(StepDraft step, Dictionary<string, Value> settings)
    {
        if (!RequireWith(step, settings, "a transform step outputs its 'with', like with: { total: \"{{ steps.fetch.output.body.total }}\" }", out var with))
        {
            return;
        }

        ScanTemplates(with.Element, with.Path, step);
        step.With = with.Element;
    }

    private void ReadCondition(StepDraft step, Dictionary<string, Value> settings)
    {
        if (!settings.TryGetValue("if", out var condition))
        {
            Error(JsonPath.Property(step.Path, "if"), $"Condition {step.Name} needs an 'if' expression, like if: \"steps.fetch.output.body.amount > 1000\".");
        }
        else if (ExpectString(condition, "The 'if' expression", out var text))
        {
            var parsed = string.IsNullOrWhiteSpace(text) ? null : _expressions.ParseExpression(text);
            if (parsed is null)
            {
                Error(condition.Path, $"Condition {step.Name} has an empty 'if'. Write an expression, like steps.fetch.output.body.amount > 1000.");
            }
            else if (parsed.Error is not null)
            {
                Error(condition.Path, $"The condition '{text}' cannot be read: {parsed.Error}. Check for typos and unbalanced quotes or brackets.");
            }
            else
            {
                step.If = text;
                AddReads(step, parsed, condition.Path);
            }
        }

        if (settings.TryGetValue("then", out var then))
        {
            step.Then.AddRange(ReadIdList(then, $"The 'then' list of condition {step.Name}") ?? []);
        }

        if (settings.TryGetValue("else", out var otherwise))
        {
            step.Else.AddRange(ReadIdList(otherwise, $"The 'else' list of condition {step.Name}") ?? []);
        }
    }

    private void ReadApproval(StepDraft step, Dictionary<string, Value> settings)
    {
        if (!settings.TryGetValue("message", out var message))
        {
            Error(JsonPath.Property(step.Path, "message"), $"Approval {step.Name} needs a message: what the approver is asked, like message: \"Pay invoice {{{{ input.body.id }}}}?\".");
            return;
        }

        if (ExpectString(message, "The approval message", out var text))
        {
            if (string.IsNullOrWhiteSpace(text))
            {
                Error(message.Path, $"Approval {step.Name} has an empty message. Say what the approver decides.");
                return;
            }

            ScanTemplates(message.Element, message.Path, step);
            step.Message = text;
        }
    }

    private void ReadDelay(StepDraft step, Dictionary<string, Value> settings)
    {
        var hasFor = settings.TryGetValue("for", out var forValue);
        var hasUntil = settings.TryGetValue("until", out var untilValue);
        if (hasFor == hasUntil)
        {
            Error(hasFor ? untilValue.Path : step.Path, hasFor
                ? $"Delay {step.Name} has both 'for' and 'until'. Keep one: 'for' waits a duration (for: 10m), 'until' waits for a time (until: \"2030-01-01T09:00:00Z\")."
                : $"Delay {step.Name} needs 'for' (how long, like for: 10m) or 'until' (a time, like until: \"2030-01-01T09:00:00Z\").");
        }

        if (hasFor)
        {
            step.For = ReadDuration(forValue, $"The delay of step {step.Name}", DelayFor);
        }

        if (hasUntil && ExpectString(untilValue, "'until'", out var until))
        {
            if (TemplateText.HasTemplate(until))
            {
                if (ScanTemplates(untilValue.Element, untilValue.Path, step))
                {
                    step.Until = until;
                }
            }
            else if (!IsoTimePattern().IsMatch(until) || !DateTimeOffset.TryParse(until, CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
            {
                Error(untilValue.Path, $"'until' must be a date and time with its time zone, like \"2030-01-01T09:00:00Z\" or \"2030-01-01T09:00:00+09:00\", or an expression giving one, like \"{{{{ input.body.remindAt }}}}\"; '{until}' is neither.");
            }
            else
            {
                step.Until = until;
            }
        }
    }

    private void ReadNotify(StepDraft step, Dictionary<string, Value> settings)
    {
        if (!RequireWith(step, settings, "a notify step needs with: { url: \"{{ secrets.slack_url }}\", text: \"...\" }", out var with))
        {
            return;
        }

        var fields = Properties(with.Element, with.Path, NotifyWithKeys,
            key => $"Step {step.Name}: unknown notify setting '{key}'. Allowed in 'with': url, text.{_problems.DidYouMean(key, NotifyWithKeys)}");
        RequireUrl(step, fields, with.Path, "a notify step posts its text to this Slack-compatible webhook address");
        if (!fields.TryGetValue("text", out var text))
        {
            Error(JsonPath.Property(with.Path, "text"), $"Step {step.Name} needs 'text' in 'with': the message to send.");
        }
        else
        {
            ExpectString(text, "The notify text", out _);
        }

        ScanTemplates(with.Element, with.Path, step);
        step.With = with.Element;
    }

    private void ReadScript(StepDraft step, Dictionary<string, Value> settings)
    {
        if (!RequireWith(step, settings, "a script step needs with: { code: \"return input.body.total * 2\" }", out var with))
        {
            return;
        }

        var fields = Properties(with.Element, with.Path, ScriptWithKeys,
            key => $"Step {step.Name}: unknown script setting '{key}'. Only 'code' is allowed in 'with'.");
        if (!fields.TryGetValue("code", out var code))
        {
            Error(JsonPath.Property(with.Path, "code"), $"Script {step.Name} needs 'code' in 'with': JavaScript whose 'return' value is the output, like code: \"return input.body.items.length\".");
        }
        else if (ExpectString(code, "The script code", out var text))
        {
            var parsed = string.IsNullOrWhiteSpace(text) ? null : _expressions.ParseScript(text);
            if (parsed is null)
            {
                Error(code.Path, $"Script {step.Name} has no code.");
            }
            else if (parsed.Error is not null)
            {
                Error(code.Path, $"The script cannot be read: {parsed.Error}.");
            }
            else
            {
                AddReads(step, parsed, code.Path);
            }
        }

        step.With = with.Element;
    }

    private void ReadCallback(StepDraft step, Dictionary<string, Value> settings)
    {
        // One URL, one call: another attempt would wait on a URL that has been used or has expired.
        if (step.Retry.Attempts > 1 && settings.TryGetValue("retry", out var retry))
        {
            Error(retry.Path, $"Callback {step.Name} cannot retry: its URL takes one call. Remove 'retry' (its 'timeout' says how long it waits).");
        }
    }

    private bool RequireWith(StepDraft step, Dictionary<string, Value> settings, string help, out Value with)
    {
        if (!settings.TryGetValue("with", out with))
        {
            Error(JsonPath.Property(step.Path, "with"), $"Step {step.Name} needs 'with': {help}.");
            return false;
        }

        return ExpectObject(with, $"The 'with' of step {step.Name}", help);
    }

    private void RequireUrl(StepDraft step, Dictionary<string, Value> fields, string withPath, string purpose)
    {
        if (!fields.TryGetValue("url", out var url))
        {
            Error(JsonPath.Property(withPath, "url"), $"Step {step.Name} needs a 'url' in 'with': {purpose}.");
            return;
        }

        if (!ExpectString(url, "The url", out var text) || TemplateText.HasTemplate(text))
        {
            return;
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            Error(url.Path, $"The url '{text}' is not a full web address. Start it with http:// or https://, like http://127.0.0.1:8080/items.");
        }
    }

    private RetryPolicy? ReadRetry(Value retry, StepDraft step)
    {
        if (!ExpectObject(retry, "'retry'", "like retry: { attempts: 3, backoff: exponential, delay: 2s }"))
        {
            return null;
        }

        var settings = Properties(retry.Element, retry.Path, RetryKeys,
            key => $"Unknown retry setting '{key}'. Allowed: {string.Join(", ", RetryKeys)}.{_problems.DidYouMean(key, RetryKeys)}");
        var attempts = 1;
        if (settings.TryGetValue("attempts", out var attemptsValue))
        {
            attempts = _problems.Quotas && _problems.Limits.MaxRetryAttempts < MaxAttempts
                ? ReadWholeNumber(attemptsValue, "Retry attempts (the total number of tries, counting the first)", 1, _problems.Limits.MaxRetryAttempts, " (setting Flowkit:Limits:MaxRetryAttempts)") ?? 1
                : ReadWholeNumber(attemptsValue, "Retry attempts (the total number of tries, counting the first)", 1, MaxAttempts) ?? 1;
        }

        var backoff = BackoffKind.Fixed;
        if (settings.TryGetValue("backoff", out var backoffValue) && ExpectString(backoffValue, "'backoff'", out var backoffText))
        {
            switch (backoffText)
            {
                case "fixed":
                    break;
                case "exponential":
                    backoff = BackoffKind.Exponential;
                    break;
                default:
                    Error(backoffValue.Path, $"'backoff' must be 'fixed' (the same wait each time) or 'exponential' (the wait doubles each time), not '{backoffText}'.");
                    break;
            }
        }

        var delay = TimeSpan.FromSeconds(1);
        if (settings.TryGetValue("delay", out var delayValue))
        {
            delay = ReadDuration(delayValue, "The retry delay", RetryDelay) ?? delay;
        }

        TimeSpan? maxDelay = null;
        if (settings.TryGetValue("maxDelay", out var maxValue))
        {
            maxDelay = ReadDuration(maxValue, "The retry maxDelay", RetryMaxDelay);
            if (maxDelay < delay)
            {
                Error(maxValue.Path, $"The retry maxDelay ({Durations.Format(maxDelay.Value)}) is shorter than the delay ({Durations.Format(delay)}); make it at least as long.");
            }
        }

        var jitter = false;
        if (settings.TryGetValue("jitter", out var jitterValue))
        {
            if (jitterValue.Element.ValueKind is JsonValueKind.True or JsonValueKind.False)
            {
                jitter = jitterValue.Element.GetBoolean();
            }
            else
            {
                Error(jitterValue.Path, $"'jitter' must be true or false, but it is {Describe(jitterValue.Element)}.");
            }
        }

        IReadOnlyList<string>? on = null;
        if (settings.TryGetValue("on", out var onValue))
        {
            on = ReadRetryOn(onValue, step);
        }

        return new RetryPolicy(attempts, backoff, delay, maxDelay, jitter) { On = on };
    }

    /// <summary><c>retry.on</c> (http steps): which failures are retried, like [5xx, 429, timeout, network].</summary>
    private List<string>? ReadRetryOn(Value on, StepDraft step)
    {
        const string Example = "like on: [5xx, 429, timeout, network]";
        if (step.Type is { } type && type is not (StepTypes.Http or StepTypes.Connector))
        {
            Error(on.Path, $"'retry.on' says which failures of an http or connector step are retried; step {step.Name} is a {type} step, whose failures are retried as far as its attempts go. Remove 'on'.");
            return null;
        }

        if (on.Element.ValueKind != JsonValueKind.Array)
        {
            Error(on.Path, $"'retry.on' must be a list of failures to retry, {Example}, but it is {Describe(on.Element)}.");
            return null;
        }

        var classes = new List<string>();
        var index = 0;
        foreach (var item in on.Element.EnumerateArray())
        {
            var path = JsonPath.Item(on.Path, index++);
            var text = item.ValueKind switch
            {
                JsonValueKind.String => item.GetString()!,
                JsonValueKind.Number => item.GetRawText(),
                _ => null,
            };
            if (text is null || !RetryOn.IsClass(text))
            {
                Error(path, $"'{(text ?? Describe(item))}' is not a failure 'retry.on' knows. Use 5xx or 4xx (any status of that hundred), one status from 400 to 599 (like 429), timeout or network; {Example}.");
                continue;
            }

            if (classes.Contains(text, StringComparer.Ordinal))
            {
                Error(path, $"'retry.on' lists '{text}' twice.");
                continue;
            }

            classes.Add(text);
        }

        return classes;
    }

    private List<StepReference>? ReadIdList(Value value, string what)
    {
        var list = new List<StepReference>();
        switch (value.Element.ValueKind)
        {
            case JsonValueKind.String:
                _problems.CountReference(value.Path);
                list.Add(new StepReference(value.Element.GetString()!, value.Path));
                return list;
            case JsonValueKind.Array:
                var index = 0;
                var seen = new HashSet<string>(StringComparer.Ordinal);
                foreach (var item in value.Element.EnumerateArray())
                {
                    var path = JsonPath.Item(value.Path, index++);
                    if (item.ValueKind != JsonValueKind.String)
                    {
                        Error(path, $"{what} must list step ids, but item {index} is {Describe(item)}.");
                        continue;
                    }

                    _problems.CountReference(path);
                    var id = item.GetString()!;
                    if (!seen.Add(id))
                    {
                        Error(path, $"{what} list '{id}' twice.");
                        continue;
                    }

                    list.Add(new StepReference(id, path));
                }

                return list;
            default:
                Error(value.Path, $"{what} must be a list of step ids, like [fetch, check], or [] for none, but it is {Describe(value.Element)}.");
                return null;
        }
    }

    private bool ScanTemplates(JsonElement element, string path, StepDraft step)
    {
        var ok = true;
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var seen = new HashSet<string>(StringComparer.Ordinal);
                foreach (var property in element.EnumerateObject())
                {
                    var child = JsonPath.Property(path, property.Name);
                    if (!seen.Add(property.Name))
                    {
                        Error(child, $"'{property.Name}' is written twice here; keep only one.");
                        ok = false;
                    }

                    ok &= ScanTemplates(property.Value, child, step);
                }

                break;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    ok &= ScanTemplates(item, JsonPath.Item(path, index++), step);
                }

                break;
            case JsonValueKind.String:
                var text = element.GetString()!;
                if (!TemplateText.HasTemplate(text))
                {
                    break;
                }

                var template = _expressions.ParseTemplate(text);
                if (template.Error is not null)
                {
                    Error(path, template.Error);
                    return false;
                }

                foreach (var expression in template.Expressions)
                {
                    AddReads(step, expression, path);
                }

                break;
        }

        return ok;
    }

    private void AddReads(StepDraft step, ParsedCode code, string path)
    {
        foreach (var id in code.StepReferences)
        {
            _problems.CountReference(path);
            step.Reads.Add(new StepReference(id, path));
        }

        foreach (var id in code.CallbackReferences)
        {
            _problems.CountReference(path);
            step.CallbackReads.Add(new StepReference(id, path));
        }
    }

    private TimeSpan? ReadDuration(Value value, string what, Bounds bounds)
    {
        if (value.Element.ValueKind != JsonValueKind.String)
        {
            var hint = value.Element.ValueKind == JsonValueKind.Number ? $" Add a unit, like {value.Element.GetRawText()}s." : string.Empty;
            Error(value.Path, $"{what} must be a duration like 30s, but it is {Describe(value.Element)}.{hint} {Durations.Help}");
            return null;
        }

        var text = value.Element.GetString()!;
        if (!Durations.TryParse(text, out var duration))
        {
            Error(value.Path, $"{what} is '{text}', which is not a duration. {Durations.Help}");
            return null;
        }

        if (duration <= TimeSpan.Zero)
        {
            Error(value.Path, $"{what} must be longer than zero.");
            return null;
        }

        if (duration < bounds.Min || duration > bounds.Max)
        {
            Error(value.Path, $"{what} is {text}; it must be from {Durations.Format(bounds.Min)} to {Durations.Format(bounds.Max)}.");
            return null;
        }

        return duration;
    }

    private int? ReadWholeNumber(Value value, string what, int min, int max, string limit = "")
    {
        if (value.Element.ValueKind == JsonValueKind.Number && value.Element.TryGetDecimal(out var number)
            && number == decimal.Truncate(number) && number >= min && number <= max)
        {
            return (int)number;
        }

        Error(value.Path, $"{what} must be a whole number from {min} to {max.ToString("N0", CultureInfo.InvariantCulture)}{limit}, but it is {Describe(value.Element)}.");
        return null;
    }

    private bool ExpectString(Value value, string what, out string text)
    {
        if (value.Element.ValueKind == JsonValueKind.String)
        {
            text = value.Element.GetString()!;
            return true;
        }

        text = string.Empty;
        Error(value.Path, $"{what} must be text, but it is {Describe(value.Element)}.");
        return false;
    }

    private bool ExpectObject(Value value, string what, string example)
    {
        if (value.Element.ValueKind == JsonValueKind.Object)
        {
            return true;
        }

        Error(value.Path, $"{what} must be a group of settings ({example}), but it is {Describe(value.Element)}.");
        return false;
    }

    /// <summary>
    /// The properties of an object by name, reporting keys written twice and, when <paramref name="allowed"/> is
    /// given, keys not in it (the first occurrence of a duplicate wins).
    /// </summary>
    private Dictionary<string, Value> Properties(JsonElement element, string path, IReadOnlyCollection<string>? allowed, Func<string, string>? unknown)
    {
        var result = new Dictionary<string, Value>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            var child = JsonPath.Property(path, property.Name);
            if (result.ContainsKey(property.Name))
            {
                Error(child, $"'{property.Name}' is written twice here; keep only one.");
                continue;
            }

            if (allowed is not null && !allowed.Contains(property.Name, StringComparer.Ordinal))
            {
                Error(child, unknown!(property.Name));
                continue;
            }

            result[property.Name] = new Value(property.Value, child);
        }

        return result;
    }

    internal static string Describe(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => $"the text \"{Clip(element.GetString()!)}\"",
        JsonValueKind.Number => $"the number {element.GetRawText()}",
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Null => "empty",
        JsonValueKind.Array => "a list",
        JsonValueKind.Object => "a group of settings",
        _ => "missing",
    };

    private static string Clip(string text) => text.Length <= 40 ? text : text[..40] + "...";

    private void Error(string path, string message) => _problems.Add(path, message);

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,63}$", RegexOptions.CultureInvariant)]
    internal static partial Regex NamePattern();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,63}$", RegexOptions.CultureInvariant)]
    internal static partial Regex StepIdPattern();

    [GeneratedRegex(@"^(?<count>[0-9]{1,9})/(?<unit>s|m)$", RegexOptions.CultureInvariant)]
    private static partial Regex RatePattern();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})$", RegexOptions.CultureInvariant)]
    private static partial Regex IsoTimePattern();

    /// <summary>A value and its JSON path.</summary>
    internal readonly record struct Value(JsonElement Element, string Path);

    internal readonly record struct Bounds(TimeSpan Min, TimeSpan Max);
}
