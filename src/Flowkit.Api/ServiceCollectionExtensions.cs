using Flowkit.Api.Ingress;
using Flowkit.Api.Runs;
using Flowkit.Api.Workflows;
using Flowkit.Definitions;
using Flowkit.Definitions.Expressions;
using Microsoft.AspNetCore.Builder;
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
        services.AddOptions<ExpressionOptions>().BindConfiguration(ExpressionOptions.Section);
        services.TryAddSingleton(sp => new ExpressionEngine(sp.GetRequiredService<IOptions<ExpressionOptions>>().Value));
        services.TryAddSingleton<DefinitionCompiler>();
        services.AddFlowkitIngress();
        return services;
    }

    /// <summary>Maps every API endpoint.</summary>
    public static IEndpointRouteBuilder MapFlowkitApi(this IEndpointRouteBuilder routes)
    {
        routes.MapOpenApi("/openapi/{documentName}.json");
        routes.MapWorkflowsApi();
        routes.MapRunsApi();
        routes.MapRunControlsApi();
        routes.MapHooksApi();
        return routes;
    }
}
