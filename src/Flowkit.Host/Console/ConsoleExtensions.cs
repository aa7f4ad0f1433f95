using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.FileProviders;
using Microsoft.Net.Http.Headers;

namespace Flowkit.Host.Console;

/// <summary>
/// Serves the web console (web/console, issue #13) at <c>/</c>: its static files, and index.html for any other GET
/// that no endpoint answers and that is not under a path of the API or the operations endpoints (the console routes
/// in the browser). Every console answer carries a Content-Security-Policy that allows only the console's own files.
/// </summary>
internal static class ConsoleExtensions
{
    /// <summary>Paths the console never answers, so an unknown API route stays a 404 problem.</summary>
    private static readonly string[] Reserved = ["/api", "/hooks", "/health", "/metrics", "/openapi", "/reference", "/scalar"];

    private const string Policy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; "
        + "manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    public static WebApplication UseFlowkitConsole(this WebApplication app)
    {
        var options = app.Configuration.GetSection(ConsoleOptions.Section).Get<ConsoleOptions>() ?? new ConsoleOptions();
        if (!options.Enabled)
        {
            return app;
        }

        var root = Path.GetFullPath(options.Root ?? Path.Combine(AppContext.BaseDirectory, "console"));
        var built = File.Exists(Path.Combine(root, "index.html"));
        IFileProvider files = built ? new PhysicalFileProvider(root) : new NullFileProvider();
        var staticFiles = new StaticFileOptions
        {
            FileProvider = files,
            ContentTypeProvider = new FileExtensionContentTypeProvider(),
            // Files keep their names across builds: the browser revalidates (ETag) instead of keeping a stale console.
            OnPrepareResponse = c => c.Context.Response.Headers.CacheControl = "no-cache",
        };

        app.UseWhen(IsConsoleRequest, console =>
        {
            console.Use((context, next) =>
            {
                var headers = context.Response.Headers;
                headers[HeaderNames.ContentSecurityPolicy] = Policy;
                headers[HeaderNames.XContentTypeOptions] = "nosniff";
                headers["Referrer-Policy"] = "no-referrer";
                return next(context);
            });
            console.UseStaticFiles(staticFiles);
            console.Use((context, next) =>
            {
                if (!built)
                {
                    context.Response.StatusCode = StatusCodes.Status404NotFound;
                    context.Response.ContentType = "text/plain; charset=utf-8";
                    return context.Response.WriteAsync(
                        $"The web console is not built in {root}. Run 'make console' (or 'make build') and start the host again; see docs/console.md.");
                }

                // A console route (/runs/..., /workflows/...): the page is the app; the app reads the path.
                if (!Path.HasExtension(context.Request.Path.Value))
                {
                    context.Request.Path = "/index.html";
                }

                return next(context);
            });
            console.UseStaticFiles(staticFiles);
        });
        return app;
    }

    private static bool IsConsoleRequest(HttpContext context)
    {
        if (context.GetEndpoint() is not null || !(HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method)))
        {
            return false;
        }

        var path = context.Request.Path;
        return !Reserved.Any(r => path.StartsWithSegments(r, StringComparison.OrdinalIgnoreCase));
    }
}
