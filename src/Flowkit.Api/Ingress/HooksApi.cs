using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Flowkit.Api.Problems;
using Flowkit.Api.Triggers;
using Flowkit.Definitions;
using Flowkit.Definitions.Expressions;
using Flowkit.Persistence;
using Flowkit.Persistence.Runs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Flowkit.Api.Ingress;

/// <summary>The answer to an accepted webhook delivery.</summary>
/// <param name="RunId">The run this delivery started, or for a duplicate the run the first delivery started.</param>
/// <param name="Duplicate">True when an earlier delivery with the same key started <paramref name="RunId"/>.</param>
/// <param name="StartsAt">With <c>overflow: queue</c> over the limit: when the run will start (it is pending until then).</param>
public sealed record HookAccepted(
    Guid RunId,
    bool Duplicate,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateTimeOffset? StartsAt = null);

/// <summary>The answer of a <c>respond: result</c> webhook whose run succeeded in time.</summary>
/// <param name="RunId">The run this delivery started, or for a duplicate the run the first delivery started.</param>
/// <param name="Duplicate">True when an earlier delivery with the same key started <paramref name="RunId"/>.</param>
/// <param name="Status">Always <c>succeeded</c> (a failed or cancelled run answers a problem instead).</param>
/// <param name="Output">The output of the run's last succeeded step in definition order.</param>
public sealed record HookResult(Guid RunId, bool Duplicate, string Status, JsonElement? Output);

/// <summary>POST /hooks/{workspace}/{key}: webhook triggers (CONTRACT.md section 2; docs/ingress.md).</summary>
public static class HooksApi
{
    public static IEndpointRouteBuilder MapHooksApi(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/hooks/{workspace}/{key}", (string workspace, string key, HttpContext context, WebhookIngress ingress, CancellationToken cancellationToken) =>
                ingress.ReceiveAsync(workspace, key, context, cancellationToken))
            .AllowAnonymous()
            .WithTags("Webhooks")
            .WithSummary("Deliver a webhook: starts a run of the workflow whose latest version has this webhook key. No API key; signed with X-Flowkit-Signature when the trigger has a secret.")
            .Accepts<object>("application/json")
            .Produces<HookResult>(StatusCodes.Status200OK)
            .Produces<HookAccepted>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status500InternalServerError)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return routes;
    }
}

/// <summary>
/// One webhook delivery, durably: find the hook (cached briefly), check size, signature and JSON, derive the delivery
/// key, ask Redis (duplicate? over the limit? claim) in one round trip, commit the run with its StartRun and key row
/// through <see cref="RunLauncher"/> in one more (which also checks the hook's workflow is still live and latest),
/// and only then answer 202. Without Redis the same questions go to PostgreSQL and the
/// in-process limiter. The order and every failure case are in docs/ingress.md.
/// </summary>
internal sealed class WebhookIngress(
    FlowkitDbContext db,
    RunLauncher launcher,
    HookDirectory hooks,
    RedisIngress redis,
    LocalRateLimiter localLimiter,
    IWebhookSecretResolver secrets,
    ExpressionEngine expressions,
    IOptions<IngressOptions> options,
    IngressMetrics metrics,
    IOptions<RunQuotaOptions> quotas,
    RunResults results,
    TimeProvider time,
    ILogger<WebhookIngress> logger)
{
    private static readonly HeaderDictionary EmptyHeaders = [];

    public async Task<IResult> ReceiveAsync(string workspace, string key, HttpContext context, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var request = context.Request;
        if (request.ContentLength > settings.MaxBodyBytes)
        {
            return TooLarge(settings.MaxBodyBytes);
        }

        var target = await FindAsync(context, workspace, key, fresh: false, cancellationToken);
        if (target.Result is not null)
        {
            return target.Result;
        }

        var body = await WebhookDelivery.ReadBodyAsync(request, settings.MaxBodyBytes, cancellationToken);
        if (body is null)
        {
            return TooLarge(settings.MaxBodyBytes);
        }

        var json = body.AsSpan().StartsWith("\uFEFF"u8) ? body[3..] : body;
        var result = await ProcessAsync(context, target.Hook!, body, json, settings, cancellationToken);
        if (result is not null)
        {
            return await RespondAsync(context, target.Hook!, result, cancellationToken);
        }

        // The cached hook was outdated (the workflow was archived or has a new version): nothing was stored. Look it
        // up again and start over, since the new version may sign, deduplicate or limit differently.
        target = await FindAsync(context, workspace, key, fresh: true, cancellationToken);
        if (target.Result is not null)
        {
            return target.Result;
        }

        result = await ProcessAsync(context, target.Hook!, body, json, settings, cancellationToken);
        return result is null
            ? Unavailable(context, new InvalidOperationException($"Webhook '{key}' changed twice while one delivery was being stored."))
            : await RespondAsync(context, target.Hook!, result, cancellationToken);
    }

    /// <summary>
    /// <c>respond: result</c> (issue #18): an accepted delivery, new or duplicate, waits for its run to end and answers
    /// 200 with the output, or 500 with the run's error as a problem; past the trigger's time limit it keeps its 202.
    /// </summary>
    private async Task<IResult> RespondAsync(HttpContext context, HookTarget target, IResult result, CancellationToken cancellationToken)
    {
        if (target.Trigger.RespondTimeout is not { } timeout || result is not JsonHttpResult<HookAccepted> { Value: { } accepted })
        {
            return result;
        }

        RunEnd? end;
        try
        {
            end = await results.WaitAsync(accepted.RunId, timeout, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The sender went away; the run goes on, and the 202 it would have had is as good as any answer now.
            return result;
        }
        catch (Exception ex) when (IsDatabaseFailure(ex))
        {
            // The run is stored and goes on; only its result could not be read, so the sender gets what it would without waiting.
            Log.RunResultUnread(logger, accepted.RunId, ex);
            return result;
        }

        if (end is null)
        {
            metrics.Request("result_pending");
            return result;
        }

        if (end.Status == "succeeded")
        {
            metrics.Request("result");
            return TypedResults.Json(new HookResult(accepted.RunId, accepted.Duplicate, end.Status, end.Output), statusCode: StatusCodes.Status200OK);
        }

        metrics.Request("result_failed");
        return TypedResults.Problem(new ProblemDetails
        {
            Type = ProblemTypes.RunFailed,
            Title = end.Status == "cancelled" ? "The run was cancelled." : "The run failed.",
            Status = StatusCodes.Status500InternalServerError,
            Detail = end.Error ?? $"Run {accepted.RunId} ended {end.Status}.",
            Extensions =
            {
                ["runId"] = accepted.RunId,
                ["status"] = end.Status,
                ["duplicate"] = accepted.Duplicate,
            },
        });
    }

    private async Task<(HookTarget? Hook, IResult? Result)> FindAsync(HttpContext context, string workspace, string key, bool fresh, CancellationToken cancellationToken)
    {
        try
        {
            return await hooks.FindAsync(db, workspace, key, fresh, cancellationToken) is { } target
                ? (target, null)
                : (null, Outcome("not_found", Problem(ProblemTypes.NotFound, "Not found.", StatusCodes.Status404NotFound,
                    $"There is no webhook '{key}' in workspace '{workspace}' (or its workflow is archived).")));
        }
        catch (Exception ex) when (IsDatabaseFailure(ex))
        {
            return (null, Unavailable(context, ex));
        }
    }

    /// <summary>Signature, JSON, delivery key, then acceptance; null when the hook turned out to be outdated.</summary>
    private async Task<IResult?> ProcessAsync(HttpContext context, HookTarget target, byte[] body, byte[] json, IngressOptions settings, CancellationToken cancellationToken)
    {
        var request = context.Request;
        var trigger = target.Trigger;
        if (trigger.Secret is not null)
        {
            var name = WebhookDelivery.SecretName(trigger.Secret);
            var secret = name is null ? null : await secrets.ResolveAsync(target.Workflow.Workspace, name, cancellationToken);
            if (secret is null)
            {
                Log.HookSecretMissing(logger, target.Workflow.Workspace, trigger.Key, name ?? trigger.Secret);
                context.Response.Headers.RetryAfter = "60";
                return Outcome("secret_missing", Problem(ProblemTypes.Unavailable, "Service unavailable.", StatusCodes.Status503ServiceUnavailable,
                    "This webhook cannot verify signatures right now: the secret it names is not set. Retry later."));
            }

            // The signature covers the raw body as sent, byte order mark included.
            var check = WebhookDelivery.CheckSignature(
                request.Headers[WebhookDelivery.SignatureHeader], body, secret, trigger.Signature, time.GetUtcNow(), settings.SignatureTolerance);
            if (check != SignatureCheck.Valid)
            {
                return Unauthorized(trigger, check, settings.SignatureTolerance);
            }
        }

        if (WebhookDelivery.CheckJson(json) is { } malformed)
        {
            return Outcome("malformed", Problem(ProblemTypes.BadRequest, "Bad request.", StatusCodes.Status400BadRequest, malformed));
        }

        var input = WebhookDelivery.BuildInput(json, request.Headers, request.Query);
        var deliveryKey = DeliveryKey(request, trigger, json, input, target);
        if (deliveryKey.Problem is not null)
        {
            return Outcome("malformed", Problem(ProblemTypes.BadRequest, "Bad request.", StatusCodes.Status400BadRequest, deliveryKey.Problem));
        }

        return await AcceptAsync(context, target, deliveryKey.Key!, Encoding.UTF8.GetString(input), settings);
    }

    private async Task<IResult?> AcceptAsync(HttpContext context, HookTarget target, string deliveryKey, string input, IngressOptions settings)
    {
        var workspace = target.Workflow.Workspace;
        var trigger = target.Trigger;
        var scope = WebhookDelivery.Scope(target.Workflow.Id, trigger.Key);
        var workspaceRate = Rate.Of(settings.WorkspaceLimit, settings.WorkspaceLimitPeriod, settings.EffectiveWorkspaceBurst);
        Rate? hookRate = trigger.Limit is { } limit ? Rate.Of(limit.Count, limit.Per) : null;
        var queue = trigger.Overflow == WebhookOverflow.Queue;

        var fast = await redis.TryClaimAsync(workspace, scope, deliveryKey, workspaceRate, hookRate is null ? null : trigger.Key, hookRate, queue);
        Admission admission;
        var lookFirst = true;
        try
        {
            if (fast is null)
            {
                // Degraded: PostgreSQL answers "seen before?", this process answers "over the limit?".
                redis.ServedWithoutRedis();
                if (await launcher.FindAsync(workspace, scope, deliveryKey, CancellationToken.None) is { } earlier)
                {
                    return await IsCurrentAsync(target) ? Accepted(context, earlier, null) : null;
                }

                admission = localLimiter.Take(workspace, workspaceRate, hookRate is null ? null : $"{workspace}/{trigger.Key}", hookRate, queue, settings.MaxQueueDelay);
                lookFirst = false;
            }
            else
            {
                switch (fast.Value.Kind)
                {
                    case FastPathKind.Duplicate:
                        return await IsCurrentAsync(target) ? Accepted(context, new LaunchedRun(fast.Value.RunId, target.Version, true), null) : null;
                    case FastPathKind.Claimed:
                        // Claimed by a delivery that is still committing, or that crashed before it could: PostgreSQL
                        // decides. It took its tokens already, so this one takes none.
                        admission = Admission.Admitted;
                        break;
                    default:
                        admission = fast.Value.Admission;
                        lookFirst = false;
                        break;
                }
            }

            if (admission.Kind == AdmissionKind.Limited)
            {
                return Limited(context, trigger, admission);
            }

            DateTimeOffset? notBefore = admission.Kind == AdmissionKind.Queued ? time.GetUtcNow().AddMilliseconds(admission.Milliseconds) : null;

            // Not cancelled by the caller going away: a commit that has begun completes, and a retry finds it.
            var launched = await launcher.StartAsync(
                target.Workflow, target.Version, input, scope, deliveryKey, new LaunchOptions(notBefore, lookFirst, RequireLatest: true), CancellationToken.None);
            if (launched.Stale)
            {
                if (fast is { Kind: FastPathKind.Fresh })
                {
                    redis.Release(workspace, scope, deliveryKey);
                }

                return null;
            }

            if (launched.OverQuota)
            {
                if (fast is { Kind: FastPathKind.Fresh })
                {
                    redis.Release(workspace, scope, deliveryKey);
                }

                Log.RunQuotaExceeded(logger, workspace, quotas.Value.For(workspace), target.Workflow.Name, $"webhook {trigger.Key}");
                metrics.OverQuota("webhook");
                return Outcome("over_quota", RunQuotaAnswer.TooMany(context, quotas.Value, workspace));
            }

            if (launched.Duplicate && !await IsCurrentAsync(target))
            {
                return null;
            }

            redis.Remember(workspace, scope, deliveryKey, launched.RunId);
            return Accepted(context, launched, launched.Duplicate ? null : notBefore);
        }
        catch (Exception ex) when (IsDatabaseFailure(ex))
        {
            if (fast is { Kind: FastPathKind.Fresh })
            {
                redis.Release(workspace, scope, deliveryKey);
            }

            return Unavailable(context, ex);
        }
    }

    /// <summary>
    /// The delivery key (docs/ingress.md section 2): the trigger's <c>dedupe</c> expression first; then, only for an
    /// unsigned hook, the <c>Idempotency-Key</c> header; then the SHA-256 of the body. A signed hook's key comes from
    /// signed bytes only: the header is not covered by the signature, so a replayed body with a new header value
    /// must not become a new delivery, and a forged header must not make a future genuine delivery a "duplicate"
    /// (issue 19). For the same reason its <c>dedupe</c> expression sees the body, with empty headers and query.
    /// </summary>
    private (string? Key, string? Problem) DeliveryKey(HttpRequest request, WebhookTrigger trigger, ReadOnlySpan<byte> body, byte[] input, HookTarget target)
    {
        var signed = trigger.Secret is not null;
        if (trigger.Dedupe is not null)
        {
            try
            {
                var scope = signed ? WebhookDelivery.BuildInput(body, EmptyHeaders, QueryCollection.Empty) : input;
                if (WebhookDelivery.KeyFromExpression(expressions, trigger.Dedupe, scope, target.Workflow.Name, target.Version) is { } key)
                {
                    return (key, null);
                }
            }
            catch (ExpressionException ex)
            {
                // Never lose a delivery to a dedupe expression that does not fit it: fall back to the next key.
                Log.DedupeExpressionFailed(logger, trigger.Key, ex);
            }
        }

        var idempotencyKey = request.Headers["Idempotency-Key"].ToString();
        if (!signed && idempotencyKey.Length > 0)
        {
            return WebhookDelivery.CheckIdempotencyKey(idempotencyKey) is { } problem ? (null, problem) : (WebhookDelivery.KeyFromHeader(idempotencyKey), null);
        }

        return (WebhookDelivery.KeyFromBody(body), null);
    }

    /// <summary>
    /// Whether a (possibly cached) hook still belongs to a live workflow's latest version. A new run's insert checks
    /// this itself; a duplicate answer asks here (one primary-key lookup, off the hot path of new deliveries), so a
    /// hook cached from a just-archived workflow cannot answer "duplicate" for the workflow that took its key over.
    /// </summary>
    private Task<bool> IsCurrentAsync(HookTarget target) =>
        db.Workflows.AsNoTracking().AnyAsync(
            w => w.Id == target.Workflow.Id && w.LatestVersion == target.Version && w.ArchivedAt == null, CancellationToken.None);

    private IResult Unauthorized(WebhookTrigger trigger, SignatureCheck check, TimeSpan tolerance)
    {
        var scheme = trigger.Signature == WebhookSignature.Timestamped
            ? "t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<raw body>\">"
            : "t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<raw body>\"> or sha256=<hex HMAC-SHA256 of the raw body>";
        var detail = check switch
        {
            SignatureCheck.OutsideTolerance =>
                $"The signature's time t is more than {tolerance.TotalSeconds.ToString("0", CultureInfo.InvariantCulture)} s away from now: a delivery is accepted only while it is fresh, so a captured one cannot be replayed. Sign each delivery when sending it.",
            SignatureCheck.TimestampRequired =>
                $"Webhook '{trigger.Key}' requires the timestamped signature: {WebhookDelivery.SignatureHeader}: {scheme}, keyed with the hook's secret.",
            _ => $"This webhook needs the header {WebhookDelivery.SignatureHeader}: {scheme}, keyed with the hook's secret; it is missing or does not match.",
        };
        return Outcome(check == SignatureCheck.OutsideTolerance ? "stale_signature" : "unauthorized",
            Problem(ProblemTypes.Unauthorized, "Unauthorized.", StatusCodes.Status401Unauthorized, detail));
    }

    private JsonHttpResult<HookAccepted> Accepted(HttpContext context, LaunchedRun run, DateTimeOffset? startsAt)
    {
        metrics.Request(run.Duplicate ? "duplicate" : startsAt is null ? "accepted" : "queued");
        context.Response.Headers.Location = $"/api/v1/runs/{run.RunId}";
        return TypedResults.Json(new HookAccepted(run.RunId, run.Duplicate, startsAt), statusCode: StatusCodes.Status202Accepted);
    }

    private IResult Limited(HttpContext context, WebhookTrigger trigger, Admission admission)
    {
        var seconds = Math.Max(1, (long)Math.Ceiling(admission.Milliseconds / 1000.0));
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        var limit = admission.ByWorkspace
            ? "its workspace's webhook limit"
            : $"its limit of {trigger.Limit!.Count}/{(trigger.Limit.Per == TimeSpan.FromSeconds(1) ? "s" : "m")}"
              + (trigger.Overflow == WebhookOverflow.Queue ? " and its queue is full" : "");
        return Outcome("limited", Problem(ProblemTypes.TooManyRequests, "Too many requests.", StatusCodes.Status429TooManyRequests,
            $"Webhook '{trigger.Key}' is over {limit}. Retry after {seconds} s."));
    }

    private IResult TooLarge(int limit) =>
        Outcome("too_large", Problem(ProblemTypes.PayloadTooLarge, "Payload too large.", StatusCodes.Status413PayloadTooLarge,
            $"The body is larger than {limit.ToString("N0", CultureInfo.InvariantCulture)} bytes."));

    private IResult Unavailable(HttpContext context, Exception exception)
    {
        Log.HookStoreFailed(logger, exception);
        context.Response.Headers.RetryAfter = "5";
        return Outcome("unavailable", Problem(ProblemTypes.Unavailable, "Service unavailable.", StatusCodes.Status503ServiceUnavailable,
            "The delivery could not be stored, so it was not accepted. Retry it."));
    }

    private IResult Outcome(string outcome, IResult result)
    {
        metrics.Request(outcome);
        return result;
    }

    private static ProblemHttpResult Problem(string type, string title, int status, string detail) =>
        TypedResults.Problem(new ProblemDetails { Type = type, Title = title, Status = status, Detail = detail });

    private static bool IsDatabaseFailure(Exception exception) =>
        exception is NpgsqlException or DbUpdateException or TimeoutException;
}
