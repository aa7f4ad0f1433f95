using Flowkit.Api.Auth;
using Flowkit.Api.Runs;
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
    /// <summary>The API role's services: problem details, OpenAPI, the definition compiler.</summary>
    public static IServiceCollection AddFlowkitApi(this IServiceCollection services)
    {
        services.AddProblemDetails();
        services.AddOpenApi("v1");
        services.AddFlowkitApiAuthentication();
        services.AddOptions<ExpressionOptions>().BindConfiguration(ExpressionOptions.Section);
        services.TryAddSingleton(sp => new ExpressionEngine(sp.GetRequiredService<IOptions<ExpressionOptions>>().Value));
        services.TryAddSingleton<DefinitionCompiler>();
        return services;
    }

    /// <summary>Maps every API endpoint.</summary>
    public static IEndpointRouteBuilder MapFlowkitApi(this IEndpointRouteBuilder routes)
    {
        routes.MapOpenApi("/openapi/{documentName}.json");

        // Everything under /api needs an API key (CONTRACT.md section 2): map /api endpoints on this group only.
        var api = routes.MapGroup("")
            .RequireAuthorization(ApiKeyDefaults.Policy)
            .ProducesProblem(StatusCodes.Status401Unauthorized);
        api.MapWorkflowsApi();
        api.MapRunsApi();
        api.MapRunControlsApi();
        api.MapKeysApi();
        return routes;
    }
}
