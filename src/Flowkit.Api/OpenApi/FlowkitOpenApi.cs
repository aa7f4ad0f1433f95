using System.Text.Json.Nodes;
using Flowkit.Api.Workflows;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Flowkit.Api.OpenApi;

/// <summary>
/// What the generated OpenAPI document cannot know from the endpoints alone: the bearer API-key scheme and which
/// operations need it, and the shape of a workflow definition (a raw YAML or JSON body, not a bound parameter).
/// </summary>
internal static class FlowkitOpenApi
{
    public const string SecuritySchemeId = "ApiKey";
    public const string DefinitionSchemaId = "WorkflowDefinition";

    public static OpenApiOptions AddFlowkitTransformers(this OpenApiOptions options)
    {
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info = new OpenApiInfo
            {
                Title = "Flowkit API",
                Version = "v1",
                Description = "Workflows, versions, runs and API keys. Every /api request carries 'Authorization: Bearer <api key>'; "
                    + "errors are RFC 9457 problem details; lists page with limit (max 500) and an opaque cursor. See docs/api.md.",
            };
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[SecuritySchemeId] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "An API key: the bootstrap key (Flowkit:Auth:BootstrapKey) or one made with POST /api/v1/keys. It acts in its own workspace only.",
            };
            document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
            document.Components.Schemas[DefinitionSchemaId] = WorkflowDefinitionSchema();
            return Task.CompletedTask;
        });
        options.AddOperationTransformer((operation, context, _) =>
        {
            var metadata = context.Description.ActionDescriptor.EndpointMetadata;
            if (metadata.OfType<IAuthorizeData>().Any() && !metadata.OfType<IAllowAnonymous>().Any())
            {
                operation.Security =
                [
                    new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SecuritySchemeId, context.Document)] = [] },
                ];
            }

            if (metadata.OfType<DefinitionBody>().Any())
            {
                operation.RequestBody = new OpenApiRequestBody
                {
                    Required = true,
                    Description = "A workflow definition (docs/workflow-language.md), as YAML or JSON: same schema.",
                    Content = new Dictionary<string, OpenApiMediaType>
                    {
                        ["application/yaml"] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.String, Description = "The definition as YAML text." } },
                        ["application/json"] = new() { Schema = new OpenApiSchemaReference(DefinitionSchemaId, context.Document) },
                    },
                };
            }

            return Task.CompletedTask;
        });
        return options;
    }

    /// <summary>The workflow language's settings (CONTRACT.md section 1), for editors and clients; the server's validation is the authority.</summary>
    private static OpenApiSchema WorkflowDefinitionSchema()
    {
        var ids = new OpenApiSchema
        {
            Description = "A step id or a list of step ids.",
            OneOf = [Text(), new OpenApiSchema { Type = JsonSchemaType.Array, Items = Text() }],
        };
        var retry = Object(
            "Retries of a failing step.",
            ("attempts", new OpenApiSchema { Type = JsonSchemaType.Integer, Minimum = "1", Description = "Total attempts, the first included (default 1)." }),
            ("backoff", Enum("fixed", "exponential")),
            ("delay", Text("Wait before the second attempt, like 2s.")),
            ("maxDelay", Text("Longest wait between attempts.")),
            ("jitter", new OpenApiSchema { Type = JsonSchemaType.Boolean }));
        var step = Object(
            "One step. Without needs a step follows the one before it.",
            ("id", Text("Unique id, letters, digits and _.")),
            ("type", Enum("http", "transform", "condition", "approval", "delay", "notify", "script")),
            ("description", Text()),
            ("needs", ids),
            ("if", Text("condition: a JavaScript expression.")),
            ("then", ids),
            ("else", ids),
            ("message", Text("approval: what the approver reads.")),
            ("for", Text("delay: how long, like 10m.")),
            ("until", Text("delay: an ISO time expression.")),
            ("with", new OpenApiSchema { Type = JsonSchemaType.Object, Description = "The step type's settings; strings may hold {{ expressions }}." }),
            ("timeout", Text("Per attempt, like 30s; approval: how long to wait for a decision.")),
            ("retry", retry),
            ("continueOnError", new OpenApiSchema { Type = JsonSchemaType.Boolean }));
        step.Required = new HashSet<string> { "id", "type" };
        var trigger = Object(
            "A trigger: one of webhook or cron.",
            ("webhook", Object(
                "Starts a run on POST /hooks/{workspace}/{key}.",
                ("key", Text()),
                ("secret", Text("HMAC secret, usually {{ secrets.name }}.")),
                ("dedupe", Text("Expression giving the duplicate-detection key.")),
                ("limit", Text("Rate limit, like 50/s or 100/m.")),
                ("overflow", Enum("reject", "queue")),
                ("signature", Enum("any", "timestamped")))),
            ("cron", Object(
                "Starts a run on a schedule (Quartz syntax).",
                ("expression", Text()),
                ("timezone", Text("IANA time zone, like Asia/Seoul.")))));
        var definition = Object(
            "A workflow definition.",
            ("name", new OpenApiSchema { Type = JsonSchemaType.String, Pattern = "^[a-z0-9][a-z0-9-]{0,63}$" }),
            ("description", Text()),
            ("triggers", new OpenApiSchema { Type = JsonSchemaType.Array, Items = trigger }),
            ("steps", new OpenApiSchema { Type = JsonSchemaType.Array, Items = step, MinItems = 1 }),
            ("timeout", Text("Run timeout, like 1h.")),
            ("concurrency", Object("Run-level concurrency.", ("limit", new OpenApiSchema { Type = JsonSchemaType.Integer, Minimum = "1" }))));
        definition.Required = new HashSet<string> { "name", "steps" };
        return definition;
    }

    private static OpenApiSchema Text(string? description = null) => new() { Type = JsonSchemaType.String, Description = description };

    private static OpenApiSchema Enum(params string[] values) =>
        new() { Type = JsonSchemaType.String, Enum = values.Select(v => (JsonNode)JsonValue.Create(v)).ToList() };

    private static OpenApiSchema Object(string description, params (string Name, IOpenApiSchema Schema)[] properties) => new()
    {
        Type = JsonSchemaType.Object,
        Description = description,
        Properties = properties.ToDictionary(p => p.Name, p => p.Schema),
    };
}
