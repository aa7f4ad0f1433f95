using Flowkit.Api.Audit;
using Flowkit.Api.Auth;
using Flowkit.Api.Ingress;
using Flowkit.Api.OpenApi;
using Flowkit.Api.Problems;
using Flowkit.Api.Runs;
using Flowkit.Api.Runs.Stream;
using Flowkit.Api.Secrets;
using Flowkit.Api.Subscriptions;
using Flowkit.Api.Workflows;
using Flowkit.Definitions;
using Flowkit.Definitions.Expressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

public static class ApiServiceCollectionExtensions
{
    /// <summary>The API role's services: problem details and the exception handler, OpenAPI, API-key authentication, the definition compiler.</summary>
    public static IServiceCollection AddFlowkitApi(this IServiceCollection services)
    {
        services.AddProblemDetails(o => o.CustomizeProblemDetails = ProblemTypeMap.Customize);
        services.AddExceptionHandler<ProblemExceptionHandler>();
        // Requests the framework cannot read are the client's mistake: answered as problems, not logged as errors.
        services.Configure<ExceptionHandlerOptions>(o => o.SuppressDiagnosticsCallback = c => c.Exception is BadHttpRequestException);
        // Binding failures (malformed JSON, wrong query types) throw, so ProblemExceptionHandler can say what was wrong.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddOpenApi("v1", o => o.AddFlowkitTransformers());
        services.AddFlowkitApiAuthentication();
        services.AddScoped<Flowkit.Api.Audit.AuditLog>();
        services.AddOptions<ExpressionOptions>().BindConfiguration(ExpressionOptions.Section);
        services.TryAddSingleton(sp => new ExpressionEngine(sp.GetRequiredService<IOptions<ExpressionOptions>>().Value));
        services.TryAddSingleton<DefinitionCompiler>();
        services.TryAddSingleton<Flowkit.Definitions.Subscriptions.SubscriptionReader>();
        services.TryAddSingleton<Flowkit.Definitions.Connectors.ConnectorReader>();
        services.AddFlowkitLimits();
        services.AddFlowkitSecrets();

        // Workflow changes wake this process's cron reconciler at once (when it runs the scheduler role).
        services.TryAddSingleton<Flowkit.Api.Cron.CronSignal>();
        services.AddFlowkitIngress();

        // The live run stream: one LISTEN connection per process wakes the open streams (docs/api.md).
        services.AddOptions<RunStreamOptions>().BindConfiguration(RunStreamOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<RunEventListener>();
        services.AddHostedService(sp => sp.GetRequiredService<RunEventListener>());
        return services;
    }

    /// <summary>Maps every API endpoint.</summary>
    public static IEndpointRouteBuilder MapFlowkitApi(this IEndpointRouteBuilder routes)
    {
        routes.MapOpenApi("/openapi/{documentName}.json");

        // Everything under /api needs an API key (CONTRACT.md section 2): map /api endpoints on this group only.
        var api = routes.MapGroup("")
            .RequireAuthorization(ApiKeyDefaults.Policy)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized);
        api.MapWorkflowsApi();
        api.MapRunsApi();
        api.MapStepItemsApi();
        api.MapRunEventStream();
        api.MapRunControlsApi();
        api.MapRerunsApi();
        api.MapKeysApi();
        api.MapSecretsApi();
        api.MapSubscriptionsApi();
        api.MapAuditApi();
        Flowkit.Api.Connectors.ConnectorsApi.MapConnectorsApi(api);

        // Anonymous: webhooks carry their own signatures (CONTRACT.md section 2).
        routes.MapHooksApi();

        // Anonymous: a callback step's one-time URL is its own credential (issue #12).
        Flowkit.Api.Callbacks.CallbacksApi.MapCallbacksApi(routes);

        // Anonymous: the JSON Schema of definitions, for editors (issue #18; docs/workflow-language.md).
        routes.MapGet(Flowkit.Definitions.Schema.WorkflowSchema.Path, () => Results.Text(Flowkit.Definitions.Schema.WorkflowSchema.Json, "application/schema+json"))
            .AllowAnonymous()
            .WithTags("Workflows")
            .WithSummary("The JSON Schema (draft-07) of a workflow definition, for editors: completion and inline errors. No API key.");
        return routes;
    }
}
