using System.Text.Json;
using System.Text.RegularExpressions;
using Flowkit.Definitions.Expressions;
using Flowkit.Definitions.Reading;
using Flowkit.Definitions.Validation;
using Flowkit.Sagas;

namespace Flowkit.Definitions.Subscriptions;

/// <summary>
/// Reads a subscription document (YAML or JSON) and checks it as workflows are checked: every problem at once, each
/// with the JSON path of the field and a sentence a person can act on. Nothing here touches the database; whether a
/// named workflow or secret exists is checked when an event is delivered (they may be created later).
/// </summary>
public sealed partial class SubscriptionReader(ExpressionEngine expressions)
{
    /// <summary>Most destinations one subscription may have.</summary>
    public const int MaxDestinations = 20;

    /// <summary>Most recipients of one e-mail destination.</summary>
    public const int MaxRecipients = 50;

    /// <summary>The lifecycle events a subscription can name (CONTRACT.md section 3).</summary>
    public static IReadOnlyList<string> EventTypes { get; } =
    [
        RunEventTypes.RunCreated, RunEventTypes.RunStarted, RunEventTypes.StepReady, RunEventTypes.StepStarted,
        RunEventTypes.StepSucceeded, RunEventTypes.StepFailed, RunEventTypes.StepRetryScheduled, RunEventTypes.StepSkipped,
        RunEventTypes.ApprovalRequested, RunEventTypes.ApprovalDecided, RunEventTypes.RunSucceeded, RunEventTypes.RunFailed,
        RunEventTypes.RunCancelled,
    ];

    private static readonly string[] TopKeys = ["events", "workflow", "destinations", "description"];

    private static readonly Dictionary<string, string[]> KeysByType = new(StringComparer.Ordinal)
    {
        [DestinationTypes.Slack] = ["type", "url", "text"],
        [DestinationTypes.Webhook] = ["type", "url", "secret"],
        [DestinationTypes.Email] = ["type", "to", "subject", "text"],
        [DestinationTypes.Workflow] = ["type", "workflow"],
    };

    /// <summary>Whether <paramref name="name"/> is a subscription name: the pattern of workflow names.</summary>
    public static bool IsValidName(string name) => NamePattern().IsMatch(name);

    /// <summary>Reads and checks <paramref name="text"/>.</summary>
    public SubscriptionReading Read(string text, DocumentFormat format, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(text);
        JsonDocument document;
        try
        {
            document = format == DocumentFormat.Yaml ? YamlDocumentReader.Read(text, DefinitionLimits.Default, cancellationToken) : JsonDocumentReader.Read(text);
        }
        catch (DocumentFormatException e)
        {
            return new SubscriptionReading(null, [new ValidationError(JsonPath.Root, e.Message)]);
        }

        using (document)
        {
            return Read(document.RootElement);
        }
    }

    /// <summary>Reads and checks a subscription already parsed as JSON (a stored one is read back this way).</summary>
    public SubscriptionReading Read(JsonElement root)
    {
        var errors = new List<ValidationError>();
        if (root.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new ValidationError(JsonPath.Root, "A subscription is an object: {events: [...], workflow?, destinations: [...]}."));
            return new SubscriptionReading(null, errors);
        }

        foreach (var property in root.EnumerateObject())
        {
            if (!TopKeys.Contains(property.Name, StringComparer.Ordinal))
            {
                errors.Add(new ValidationError(JsonPath.Property(JsonPath.Root, property.Name),
                    $"'{property.Name}' is not a subscription field; the fields are {string.Join(", ", TopKeys)}.{Suggestions.DidYouMean(property.Name, TopKeys)}"));
            }
        }

        var events = ReadEvents(root, errors);
        string? workflow = null;
        if (root.TryGetProperty("workflow", out var workflowValue) && workflowValue.ValueKind != JsonValueKind.Null)
        {
            workflow = ReadWorkflowName(workflowValue, "$.workflow", "Only events of this workflow are sent", errors);
        }

        string? description = null;
        if (root.TryGetProperty("description", out var descriptionValue) && descriptionValue.ValueKind != JsonValueKind.Null)
        {
            description = Text(descriptionValue, "$.description", errors);
        }

        var destinations = ReadDestinations(root, errors);
        CheckLoops(workflow, destinations, errors);
        return errors.Count > 0
            ? new SubscriptionReading(null, errors)
            : new SubscriptionReading(new Subscription(events, workflow, destinations, description), errors);
    }

    /// <summary>
    /// A subscription that starts a workflow listens to one named workflow, never to the one it starts: otherwise a run
    /// could start itself forever (each run's events starting the next).
    /// </summary>
    private static void CheckLoops(string? workflow, List<Destination> destinations, List<ValidationError> errors)
    {
        for (var i = 0; i < destinations.Count; i++)
        {
            if (destinations[i] is not { Type: DestinationTypes.Workflow, Workflow: { } target })
            {
                continue;
            }

            var path = JsonPath.Property(JsonPath.Item("$.destinations", i), "workflow");
            if (workflow is null)
            {
                errors.Add(new ValidationError("$.workflow",
                    $"A subscription that starts a workflow ('{target}') must say whose events it listens to, with workflow: <name>; events of every workflow would include the runs it starts, which would start more."));
            }
            else if (string.Equals(workflow, target, StringComparison.Ordinal))
            {
                errors.Add(new ValidationError(path, $"'{target}' would start itself on its own events, forever. Start another workflow."));
            }
        }
    }

    private static List<string> ReadEvents(JsonElement root, List<ValidationError> errors)
    {
        var events = new List<string>();
        if (!root.TryGetProperty("events", out var value))
        {
            errors.Add(new ValidationError("$.events", $"'events' is missing: the lifecycle events to send, like [RunSucceeded, RunFailed]. The events are {string.Join(", ", EventTypes)}."));
            return events;
        }

        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() == 0)
        {
            errors.Add(new ValidationError("$.events", "'events' must be a list of at least one lifecycle event name, like [RunSucceeded, RunFailed]."));
            return events;
        }

        var index = 0;
        foreach (var item in value.EnumerateArray())
        {
            var path = JsonPath.Item("$.events", index++);
            if (item.ValueKind != JsonValueKind.String)
            {
                errors.Add(new ValidationError(path, "Each event is a name in quotes, like RunSucceeded."));
                continue;
            }

            var name = item.GetString()!;
            if (!EventTypes.Contains(name, StringComparer.Ordinal))
            {
                errors.Add(new ValidationError(path, $"'{Shorten(name)}' is not a lifecycle event.{Suggestions.DidYouMean(name, EventTypes)} The events are {string.Join(", ", EventTypes)}."));
            }
            else if (!events.Contains(name, StringComparer.Ordinal))
            {
                events.Add(name);
            }
        }

        return events;
    }

    private List<Destination> ReadDestinations(JsonElement root, List<ValidationError> errors)
    {
        var destinations = new List<Destination>();
        if (!root.TryGetProperty("destinations", out var value))
        {
            errors.Add(new ValidationError("$.destinations", "'destinations' is missing: where the events go, like [{type: slack, url: \"{{ secrets.slack_url }}\", text: \"{{ event.workflow }} {{ event.type }}\"}]."));
            return destinations;
        }

        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() == 0)
        {
            errors.Add(new ValidationError("$.destinations", "'destinations' must be a list of at least one destination."));
            return destinations;
        }

        if (value.GetArrayLength() > MaxDestinations)
        {
            errors.Add(new ValidationError("$.destinations", $"A subscription has at most {MaxDestinations} destinations; this one has {value.GetArrayLength()}. Split it into several subscriptions."));
            return destinations;
        }

        var index = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (ReadDestination(item, JsonPath.Item("$.destinations", index++), errors) is { } destination)
            {
                destinations.Add(destination);
            }
        }

        return destinations;
    }

    private Destination? ReadDestination(JsonElement item, string path, List<ValidationError> errors)
    {
        if (item.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new ValidationError(path, "A destination is an object with a type: slack, webhook, email or workflow."));
            return null;
        }

        if (!item.TryGetProperty("type", out var typeValue) || typeValue.ValueKind != JsonValueKind.String)
        {
            errors.Add(new ValidationError(JsonPath.Property(path, "type"), $"'type' is missing: one of {string.Join(", ", DestinationTypes.All)}."));
            return null;
        }

        var type = typeValue.GetString()!;
        if (!KeysByType.TryGetValue(type, out var keys))
        {
            errors.Add(new ValidationError(JsonPath.Property(path, "type"),
                $"'{Shorten(type)}' is not a destination type.{Suggestions.DidYouMean(type, DestinationTypes.All)} The types are {string.Join(", ", DestinationTypes.All)}."));
            return null;
        }

        var before = errors.Count;
        foreach (var property in item.EnumerateObject())
        {
            if (!keys.Contains(property.Name, StringComparer.Ordinal))
            {
                errors.Add(new ValidationError(JsonPath.Property(path, property.Name),
                    $"A {type} destination has no '{property.Name}'; its fields are {string.Join(", ", keys)}.{Suggestions.DidYouMean(property.Name, keys)}"));
            }
        }

        Destination destination = type switch
        {
            DestinationTypes.Slack => new Destination(type, Url: Url(item, path, errors), Text: Template(item, path, "text", required: true, errors)),
            DestinationTypes.Webhook => new Destination(type, Url: Url(item, path, errors), Secret: SecretReference(item, path, errors)),
            DestinationTypes.Email => new Destination(type, To: Recipients(item, path, errors),
                Subject: Template(item, path, "subject", required: true, errors), Text: Template(item, path, "text", required: true, errors)),
            _ => new Destination(type, Workflow: item.TryGetProperty("workflow", out var target)
                ? ReadWorkflowName(target, JsonPath.Property(path, "workflow"), "The workflow to start with the event as its input", errors)
                : Missing(errors, JsonPath.Property(path, "workflow"), "'workflow' is missing: the name of the workflow to start with the event as its input.")),
        };
        return errors.Count == before ? destination : null;
    }

    private string? Url(JsonElement item, string path, List<ValidationError> errors)
    {
        var at = JsonPath.Property(path, "url");
        if (!item.TryGetProperty("url", out var value))
        {
            return Missing(errors, at, "'url' is missing: the address to post to, like https://hooks.slack.com/services/... or {{ secrets.slack_url }} (a URL with a token in it is best kept as a secret).");
        }

        var text = Text(value, at, errors);
        if (text is null)
        {
            return null;
        }

        if (TemplateText.HasTemplate(text))
        {
            return CheckTemplate(text, at, errors) ? text : null;
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            return Missing(errors, at, $"'{Shorten(text)}' is not a full http or https address, like https://example.com/hooks/flowkit.");
        }

        return text;
    }

    private string? SecretReference(JsonElement item, string path, List<ValidationError> errors)
    {
        if (!item.TryGetProperty("secret", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        var at = JsonPath.Property(path, "secret");
        var text = Text(value, at, errors);
        if (text is null)
        {
            return null;
        }

        var template = expressions.ParseTemplate(text);
        if (!template.IsSingleExpression || !SecretOnly().IsMatch(text))
        {
            return Missing(errors, at, "Write the signing secret as a reference like '{{ secrets.hook_key }}' and store its value under Secrets; a secret written here as plain text would be shown with the subscription.");
        }

        return template.Error is null ? text : Missing(errors, at, template.Error);
    }

    private string? Template(JsonElement item, string path, string name, bool required, List<ValidationError> errors)
    {
        var at = JsonPath.Property(path, name);
        if (!item.TryGetProperty(name, out var value))
        {
            return required ? Missing(errors, at, $"'{name}' is missing: text, which may use {{{{ event.workflow }}}}, {{{{ event.type }}}}, {{{{ event.runId }}}} and the other event fields.") : null;
        }

        var text = Text(value, at, errors);
        return text is not null && CheckTemplate(text, at, errors) ? text : null;
    }

    private List<string>? Recipients(JsonElement item, string path, List<ValidationError> errors)
    {
        var at = JsonPath.Property(path, "to");
        if (!item.TryGetProperty("to", out var value))
        {
            Missing(errors, at, "'to' is missing: an e-mail address, or a list of them.");
            return null;
        }

        var recipients = new List<string>();
        var items = value.ValueKind == JsonValueKind.Array ? value.EnumerateArray().ToList() : [value];
        if (items.Count is 0 or > MaxRecipients)
        {
            Missing(errors, at, $"'to' must name from 1 to {MaxRecipients} addresses.");
            return null;
        }

        for (var i = 0; i < items.Count; i++)
        {
            var itemPath = value.ValueKind == JsonValueKind.Array ? JsonPath.Item(at, i) : at;
            var text = Text(items[i], itemPath, errors);
            if (text is null)
            {
                continue;
            }

            if (TemplateText.HasTemplate(text) ? CheckTemplate(text, itemPath, errors) : CheckAddress(text, itemPath, errors))
            {
                recipients.Add(text);
            }
        }

        return recipients;
    }

    private static bool CheckAddress(string text, string path, List<ValidationError> errors)
    {
        if (AddressPattern().IsMatch(text))
        {
            return true;
        }

        errors.Add(new ValidationError(path, $"'{Shorten(text)}' is not an e-mail address like ops@example.com."));
        return false;
    }

    private bool CheckTemplate(string text, string path, List<ValidationError> errors)
    {
        if (!TemplateText.HasTemplate(text))
        {
            return true;
        }

        var template = expressions.ParseTemplate(text);
        if (template.Error is null)
        {
            return true;
        }

        errors.Add(new ValidationError(path, template.Error));
        return false;
    }

    private static string? ReadWorkflowName(JsonElement value, string path, string what, List<ValidationError> errors)
    {
        var text = Text(value, path, errors);
        if (text is null)
        {
            return null;
        }

        return IsValidName(text)
            ? text
            : Missing(errors, path, $"'{Shorten(text)}' is not a workflow name ({what}). Names are 1 to 64 lowercase letters, digits and dashes, starting with a letter or digit.");
    }

    private static string? Text(JsonElement value, string path, List<ValidationError> errors)
    {
        if (value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text)
        {
            return text;
        }

        errors.Add(new ValidationError(path, value.ValueKind == JsonValueKind.String
            ? "It is empty; it must be text."
            : $"It must be text (in quotes), but it is {value.ValueKind.ToString().ToLowerInvariant()}."));
        return null;
    }

    private static string? Missing(List<ValidationError> errors, string path, string message)
    {
        errors.Add(new ValidationError(path, message));
        return null;
    }

    private static string Shorten(string text) => text.Length <= 80 ? text : string.Concat(text.AsSpan(0, 80), "...");

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"^\s*\{\{\s*secrets\s*\.\s*[A-Za-z_][A-Za-z0-9_]*\s*\}\}\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex SecretOnly();

    [GeneratedRegex(@"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$", RegexOptions.CultureInvariant)]
    private static partial Regex AddressPattern();
}
