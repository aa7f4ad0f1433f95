using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Flowkit.Definitions.Validation;
using Flowkit.Sagas.Planning;

namespace Flowkit.Definitions.Schema;

/// <summary>
/// The JSON Schema (draft-07, which editors such as VS Code's YAML extension read) of a workflow definition
/// (issue #18), built from the validator's own tables: the allowed keys of each group, step types and their keys,
/// enumerations, name, id and duration patterns and numeric bounds all come from <see cref="DefinitionReader"/>,
/// <see cref="Durations"/> and <see cref="StepTypes"/>, so the two cannot drift apart. The schema describes shape
/// only; what needs the whole document (references, cycles, expressions, cron syntax) stays the server's to check.
/// Served at <c>GET /schemas/workflow.json</c> and committed as <c>schemas/workflow.json</c>.
/// </summary>
public static class WorkflowSchema
{
    /// <summary>Where the schema is served, and its <c>$id</c> path.</summary>
    public const string Path = "/schemas/workflow.json";

    private static readonly Lazy<string> Text = new(() => Build().ToJsonString(new JsonSerializerOptions
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    }) + "\n");

    /// <summary>The schema as indented JSON text, ending in a newline (exactly the committed file).</summary>
    public static string Json => Text.Value;

    /// <summary>A fresh copy of the schema.</summary>
    public static JsonObject Build()
    {
        var duration = new JsonObject
        {
            ["type"] = "string",
            ["pattern"] = Durations.Pattern().ToString(),
            ["description"] = Durations.Help,
        };
        var ids = new JsonObject
        {
            ["description"] = "A step id or a list of step ids.",
            ["oneOf"] = new JsonArray(
                new JsonObject { ["type"] = "string" },
                new JsonObject { ["type"] = "array", ["items"] = new JsonObject { ["type"] = "string" } }),
        };

        var definition = Group("A Flowkit workflow definition (docs/workflow-language.md).", DefinitionReader.TopLevelKeys, key => key switch
        {
            "name" => Pattern(DefinitionReader.NamePattern().ToString(), "Workflow name: 1 to 64 lowercase letters, digits and dashes."),
            "description" => String("Free text."),
            "triggers" => new JsonObject { ["type"] = "array", ["items"] = Trigger(duration) },
            "timeout" => Described(duration, "The whole run fails when it runs longer than this."),
            "concurrency" => Group("At most limit runs of this workflow run at once; the rest wait.", DefinitionReader.ConcurrencyKeys,
                _ => Integer(1, DefinitionReader.MaxConcurrency, "Runs at once."), "limit"),
            _ => new JsonObject { ["type"] = "array", ["minItems"] = 1, ["items"] = Step(duration, ids) },
        }, "name", "steps");

        var schema = new JsonObject
        {
            ["$schema"] = "http://json-schema.org/draft-07/schema#",
            ["$id"] = "https://flowkit.dev" + Path,
            ["title"] = "Flowkit workflow",
        };
        foreach (var (key, value) in definition)
        {
            schema[key] = value?.DeepClone();
        }

        return schema;
    }

    private static JsonObject Trigger(JsonObject duration)
    {
        var webhook = Group("Starts a run on POST /hooks/{workspace}/{key}.", DefinitionReader.WebhookKeys, key => key switch
        {
            "key" => Pattern(DefinitionReader.NamePattern().ToString(), "The last part of the hook's address."),
            "secret" => String("The HMAC secret as a reference, like {{ secrets.billing_hook }}."),
            "dedupe" => String("Expression over the request (body, headers, query) giving the duplicate key, like body.id."),
            "limit" => Pattern(@"^[0-9]{1,9}/(s|m)$", "Rate limit per second or minute, like 50/s or 100/m."),
            "overflow" => Enum(DefinitionReader.OverflowModes, "Over the limit: reject (429) or queue (accept, start later)."),
            "signature" => Enum(DefinitionReader.SignatureModes, "Which signatures a signed hook accepts."),
            "respond" => Enum(DefinitionReader.RespondModes, "accepted: answer 202 at once; result: answer with the run's output when it ends."),
            _ => Described(duration, $"With respond: result, how long to wait for the run (default {Durations.Format(WebhookTrigger.DefaultRespondTimeout)}, at most {Durations.Format(WebhookTrigger.MaxRespondTimeout)})."),
        }, "key");
        var cron = Group("Starts runs on a schedule (Quartz cron: seconds first).", DefinitionReader.CronKeys, key => key switch
        {
            "expression" => String("Quartz cron expression with 6 or 7 fields, like \"0 0 9 ? * MON-FRI\"."),
            "timezone" => String("IANA time zone, like Asia/Seoul (default UTC)."),
            "misfire" => Enum(DefinitionReader.MisfirePolicies, "Fires missed while no scheduler ran: fireOnce (one catch-up run), skip, or fireAll (one per missed fire, at most misfireLimit)."),
            _ => Integer(1, CronTrigger.MaxMisfireLimit, $"With misfire: fireAll, how many of the latest missed fires run (default {CronTrigger.DefaultMisfireLimit})."),
        }, "expression");
        return new JsonObject
        {
            ["description"] = "A trigger: one of webhook or cron.",
            ["type"] = "object",
            ["additionalProperties"] = false,
            ["minProperties"] = 1,
            ["maxProperties"] = 1,
            ["properties"] = new JsonObject { ["webhook"] = webhook, ["cron"] = cron },
        };
    }

    private static JsonObject Step(JsonObject duration, JsonObject ids)
    {
        var retry = Group("Retries of a failing step.", DefinitionReader.RetryKeys, key => key switch
        {
            "attempts" => Integer(1, DefinitionReader.MaxAttempts, "Total attempts, the first included (default 1)."),
            "backoff" => Enum(DefinitionReader.BackoffKinds, "How the wait grows between attempts."),
            "delay" => Described(duration, "Wait before the second attempt."),
            "maxDelay" => Described(duration, "Longest wait between attempts."),
            "on" => new JsonObject
            {
                ["description"] = "http and connector steps: which failures are retried (default [5xx, 429, timeout, network]).",
                ["type"] = "array",
                ["items"] = new JsonObject
                {
                    ["anyOf"] = new JsonArray(
                        Enum([RetryOn.ServerErrors, RetryOn.ClientErrors, RetryOn.Timeout, RetryOn.Network], "A class of failures."),
                        Integer(400, 599, "One HTTP status."),
                        Pattern("^[45][0-9][0-9]$", "One HTTP status, as text.")),
                },
            },
            _ => new JsonObject { ["type"] = "boolean", ["description"] = "Randomise waits a little." },
        });
        var withField = new Dictionary<string, Func<string, JsonNode>>(StringComparer.Ordinal)
        {
            [StepTypes.Http] = key => key switch
            {
                "method" => Enum(DefinitionReader.HttpMethods, "HTTP method (default GET)."),
                "url" => String("Address to call; may hold {{ expressions }}."),
                "headers" => new JsonObject { ["type"] = "object", ["additionalProperties"] = new JsonObject { ["type"] = "string" } },
                "body" => new JsonObject { ["description"] = "Request body: any JSON value; strings may hold {{ expressions }}." },
                _ => new JsonObject
                {
                    ["type"] = "array",
                    ["items"] = Integer(100, 599, "An HTTP status that counts as success."),
                },
            },
            [StepTypes.Notify] = key => String(key == "url" ? "Slack-compatible incoming-webhook address." : "The message."),
            [StepTypes.Script] = _ => String("JavaScript whose return value is the output; gets input and steps."),
            [StepTypes.Connector] = key => key switch
            {
                "connector" => String("The name of a registered connector (PUT /api/v1/connectors/{name})."),
                "action" => String("One of the connector's actions."),
                "version" => Integer(1, int.MaxValue, "A connector version to use; without it, the latest when the workflow is saved."),
                "params" => new JsonObject { ["type"] = "object", ["description"] = "The action's parameters, checked against its schema; strings may hold {{ expressions }}." },
                _ => new JsonObject { ["type"] = "object", ["description"] = "Written by Flowkit when the workflow is saved: the connector version the step runs." },
            },
        };
        var required = new Dictionary<string, string[]>(StringComparer.Ordinal)
        {
            [StepTypes.Http] = ["url"],
            [StepTypes.Notify] = ["url", "text"],
            [StepTypes.Script] = ["code"],
            [StepTypes.Connector] = ["connector", "action"],
        };
        var withKeys = new Dictionary<string, string[]>(StringComparer.Ordinal)
        {
            [StepTypes.Http] = DefinitionReader.HttpWithKeys,
            [StepTypes.Notify] = DefinitionReader.NotifyWithKeys,
            [StepTypes.Script] = DefinitionReader.ScriptWithKeys,
            [StepTypes.Connector] = DefinitionReader.ConnectorWithKeys,
        };

        JsonNode Field(string key) => key switch
        {
            "id" => Pattern(DefinitionReader.StepIdPattern().ToString(), "Unique id: letters, digits and _, so that expressions can read steps.<id>.output."),
            "type" => Enum([.. StepTypes.All], "The step type."),
            "description" => String("Free text."),
            "needs" or "then" or "else" => ids.DeepClone(),
            "timeout" => Described(duration, "Per attempt; for approval and callback, how long to wait for the decision or the call."),
            "retry" => retry.DeepClone(),
            "continueOnError" => new JsonObject { ["type"] = "boolean", ["description"] = "A failure does not fail the run." },
            "if" => String("condition: a JavaScript expression."),
            "message" => String("approval: what the approver is asked."),
            "for" => Described(duration, "delay: how long to wait."),
            "until" => String("delay: an ISO 8601 time with offset, or a template giving one."),
            "forEach" => String("Runs the step once per item of the list this expression gives, like \"{{ steps.fetch.output.body.items }}\"; item and index in its expressions."),
            "concurrency" => Integer(1, DefinitionReader.MaxItemConcurrency, "for-each: items in flight at once (default 1)."),
            _ => new JsonObject { ["type"] = "object", ["description"] = "The step type's settings; strings may hold {{ expressions }}." },
        };

        var allKeys = DefinitionReader.CommonStepKeys.Concat(DefinitionReader.TypeKeys.Values.SelectMany(k => k)).Distinct().ToArray();
        var step = Group("One step. Without needs a step follows the one before it.", allKeys, Field, "id", "type");
        var rules = new JsonArray();
        foreach (var type in StepTypes.All)
        {
            var own = DefinitionReader.CommonStepKeys.Concat(DefinitionReader.TypeKeys[type]).ToArray();
            var then = new JsonObject
            {
                ["propertyNames"] = new JsonObject { ["enum"] = new JsonArray([.. own.Select(k => (JsonNode)k)]) },
            };
            if (withKeys.TryGetValue(type, out var keys))
            {
                then["required"] = new JsonArray("with");
                then["properties"] = new JsonObject
                {
                    ["with"] = Group($"Settings of a {type} step.", keys, withField[type], required[type]),
                };
            }
            else if (type == StepTypes.Transform)
            {
                then["required"] = new JsonArray("with");
            }
            else if (type == StepTypes.Condition)
            {
                then["required"] = new JsonArray("if");
            }
            else if (type == StepTypes.Approval)
            {
                then["required"] = new JsonArray("message");
            }
            else if (type == StepTypes.Delay)
            {
                then["oneOf"] = new JsonArray(new JsonObject { ["required"] = new JsonArray("for") }, new JsonObject { ["required"] = new JsonArray("until") });
            }

            rules.Add(new JsonObject
            {
                ["if"] = new JsonObject
                {
                    ["required"] = new JsonArray("type"),
                    ["properties"] = new JsonObject { ["type"] = new JsonObject { ["const"] = type } },
                },
                ["then"] = then,
            });
        }

        step["allOf"] = rules;
        return step;
    }

    private static JsonObject Group(string description, IEnumerable<string> keys, Func<string, JsonNode> field, params string[] required)
    {
        var properties = new JsonObject();
        foreach (var key in keys)
        {
            properties[key] = field(key);
        }

        var group = new JsonObject
        {
            ["description"] = description,
            ["type"] = "object",
            ["additionalProperties"] = false,
            ["properties"] = properties,
        };
        if (required.Length > 0)
        {
            group["required"] = new JsonArray([.. required.Select(r => (JsonNode)r)]);
        }

        return group;
    }

    private static JsonObject String(string description) => new() { ["type"] = "string", ["description"] = description };

    private static JsonObject Pattern(string pattern, string description) =>
        new() { ["type"] = "string", ["pattern"] = pattern, ["description"] = description };

    private static JsonObject Enum(IEnumerable<string> values, string description) =>
        new() { ["type"] = "string", ["enum"] = new JsonArray([.. values.Select(v => (JsonNode)v)]), ["description"] = description };

    private static JsonObject Integer(int minimum, int maximum, string description) =>
        new() { ["type"] = "integer", ["minimum"] = minimum, ["maximum"] = maximum, ["description"] = description };

    private static JsonObject Described(JsonObject schema, string description)
    {
        var copy = (JsonObject)schema.DeepClone();
        copy["description"] = description;
        return copy;
    }
}
