using System.Text.Json.Nodes;
using Flowkit.Api.Workflows;
using Flowkit.Definitions.Schema;
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

    /// <summary>The operation extension naming the permission an operation needs.</summary>
    public const string PermissionExtension = "x-flowkit-permission";

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

            // The permission the operation needs (docs/security.md): the permission test reads it from here for every
            // operation, so an operation without one fails that test.
            if (metadata.OfType<Auth.RequiredPermission>().LastOrDefault() is { } required)
            {
                operation.Extensions ??= new Dictionary<string, IOpenApiExtension>();
                operation.Extensions[PermissionExtension] = new JsonNodeExtension(JsonValue.Create(Auth.ApiKeyRoles.Name(required.Permission)));
                var roles = string.Join(", ", Auth.ApiKeyRoles.All.Where(r => Auth.ApiKeyRoles.Grants(r, required.Permission)));
                operation.Description = $"{operation.Description}{(string.IsNullOrEmpty(operation.Description) ? "" : " ")}Needs permission '{Auth.ApiKeyRoles.Name(required.Permission)}' (roles: {roles}); other keys get 403.";
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

    /// <summary>
    /// The workflow language's settings, converted from <see cref="WorkflowSchema"/> (the JSON Schema the validator's
    /// tables generate, issue #18). OpenAPI's schema object has no <c>if</c>/<c>then</c> or <c>propertyNames</c>, so the
    /// per-step-type rules are left out here; the full schema is at <c>GET /schemas/workflow.json</c>.
    /// </summary>
    internal static OpenApiSchema WorkflowDefinitionSchema()
    {
        var schema = Convert(WorkflowSchema.Build());
        schema.Description += $" Full JSON Schema, with the rules of each step type: {WorkflowSchema.Path}.";
        return schema;
    }

    private static OpenApiSchema Convert(JsonNode? node)
    {
        var schema = new OpenApiSchema();
        if (node is not JsonObject json)
        {
            return schema;
        }

        foreach (var (key, value) in json)
        {
            switch (key)
            {
                case "type":
                    schema.Type = value!.GetValue<string>() switch
                    {
                        "object" => JsonSchemaType.Object,
                        "array" => JsonSchemaType.Array,
                        "integer" => JsonSchemaType.Integer,
                        "boolean" => JsonSchemaType.Boolean,
                        _ => JsonSchemaType.String,
                    };
                    break;
                case "description":
                    schema.Description = value!.GetValue<string>();
                    break;
                case "pattern":
                    schema.Pattern = value!.GetValue<string>();
                    break;
                case "enum":
                    schema.Enum = [.. value!.AsArray().Select(v => v!.DeepClone())];
                    break;
                case "minimum":
                    schema.Minimum = value!.ToJsonString();
                    break;
                case "maximum":
                    schema.Maximum = value!.ToJsonString();
                    break;
                case "minItems":
                    schema.MinItems = value!.GetValue<int>();
                    break;
                case "minProperties":
                    schema.MinProperties = value!.GetValue<int>();
                    break;
                case "maxProperties":
                    schema.MaxProperties = value!.GetValue<int>();
                    break;
                case "required":
                    schema.Required = new HashSet<string>(value!.AsArray().Select(v => v!.GetValue<string>()), StringComparer.Ordinal);
                    break;
                case "items":
                    schema.Items = Convert(value);
                    break;
                case "oneOf":
                    schema.OneOf = [.. value!.AsArray().Select(v => (IOpenApiSchema)Convert(v))];
                    break;
                case "properties":
                    schema.Properties = value!.AsObject().ToDictionary(p => p.Key, p => (IOpenApiSchema)Convert(p.Value), StringComparer.Ordinal);
                    break;
                case "additionalProperties" when value is JsonObject:
                    schema.AdditionalProperties = Convert(value);
                    break;
                case "additionalProperties":
                    schema.AdditionalPropertiesAllowed = value!.GetValue<bool>();
                    break;
            }
        }

        return schema;
    }
}
