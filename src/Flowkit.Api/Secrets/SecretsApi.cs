using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using Flowkit.Api.Audit;
using Flowkit.Api.Auth;
using Flowkit.Definitions;
using Flowkit.Definitions.Secrets;
using Flowkit.Persistence;
using Flowkit.Persistence.Secrets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Flowkit.Api.Secrets;

/// <summary>
/// Secrets of the caller's workspace: set (sealed with AES-GCM before it is stored), list names and times, delete.
/// A value goes in and is never answered back; workflows read it as <c>{{ secrets.name }}</c> on the worker.
/// </summary>
public static class SecretsApi
{
    private const int DefaultLimit = 100;
    private const int MaxLimit = 500;

    public static RouteGroupBuilder MapSecretsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/secrets").WithTags("Secrets");
        group.MapPut("/{name}", PutAsync)
            .RequirePermission(Permission.Edit)
            .Accepts<PutSecretRequest>("application/json")
            .WithSummary("Create or replace a secret: body {value}. Stored encrypted; the value is never returned.")
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        group.MapGet("/", ListAsync)
            .RequirePermission(Permission.Read).WithSummary("Secret names and update times (never values), in name order, paged with limit and cursor.");
        group.MapDelete("/{name}", DeleteAsync)
            .RequirePermission(Permission.Edit).WithSummary("Delete a secret.").ProducesProblem(StatusCodes.Status404NotFound);
        return group;
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> PutAsync(
        string name,
        HttpRequest request,
        SecretStore store,
        SecretBox box,
        FlowkitDbContext db,
        AuditLog audit,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        var errors = new List<ValidationError>();
        if (!SecretNames.IsValid(name))
        {
            errors.Add(new ValidationError("name", $"'{Shorten(name)}' is not a secret name. Use a letter or '_' then letters, digits or '_' (at most 64), like slack_url: workflows read it as secrets.slack_url."));
        }

        JsonDocument? body;
        try
        {
            body = request.ContentLength == 0 ? null : await JsonDocument.ParseAsync(request.Body, default, cancellationToken);
        }
        catch (JsonException e)
        {
            return Problems.Problems.BadRequest($"The body is not valid JSON: {e.Message} Send {{\"value\": \"...\"}}.");
        }

        using (body)
        {
            var value = ReadValue(body, errors);
            if (errors.Count > 0)
            {
                return Problems.Problems.Validation($"The secret cannot be stored: {errors.Count} problem(s).", errors);
            }

            var workspace = Workspaces.Of(request.HttpContext);
            // The secret and its audit entry (its name only, never the value) commit together.
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            await store.PutAsync(workspace, name, box.Seal(workspace, name, value!), time.GetUtcNow(), cancellationToken);
            audit.Record(request.HttpContext, AuditActions.SecretPut, $"secret/{name}");
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(CancellationToken.None);
            return TypedResults.NoContent();
        }
    }

    internal static async Task<Results<Ok<SecretListResponse>, ProblemHttpResult>> ListAsync(
        HttpContext context,
        SecretStore store,
        int? limit,
        string? cursor,
        CancellationToken cancellationToken)
    {
        var errors = new List<ValidationError>();
        var take = limit ?? DefaultLimit;
        if (take is < 1 or > MaxLimit)
        {
            errors.Add(new ValidationError("limit", $"limit must be from 1 to {MaxLimit}; it is {take}."));
        }

        string? after = null;
        if (cursor is not null && !TryDecodeCursor(cursor, out after))
        {
            errors.Add(new ValidationError("cursor", "The cursor is not one this API gave out; pass nextCursor from the previous page as it is."));
        }

        if (errors.Count > 0)
        {
            return Problems.Problems.Validation("The list cannot be read: bad paging parameters.", errors);
        }

        // One more than asked tells whether another page follows.
        var page = await store.ListAsync(Workspaces.Of(context), after, take + 1, cancellationToken);
        var items = page.Take(take).Select(s => new SecretSummary(s.Name, s.CreatedAt, s.UpdatedAt)).ToArray();
        var next = page.Count > take ? EncodeCursor(items[^1].Name) : null;
        return TypedResults.Ok(new SecretListResponse(items, next));
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(
        string name, HttpContext context, SecretStore store, FlowkitDbContext db, AuditLog audit, CancellationToken cancellationToken)
    {
        if (!SecretNames.IsValid(name))
        {
            return Problems.Problems.NotFound($"There is no secret named '{Shorten(name)}'.");
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (!await store.DeleteAsync(Workspaces.Of(context), name, cancellationToken))
        {
            return Problems.Problems.NotFound($"There is no secret named '{Shorten(name)}'.");
        }

        audit.Record(context, AuditActions.SecretDelete, $"secret/{name}");
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(CancellationToken.None);
        return TypedResults.NoContent();
    }

    private static string? ReadValue(JsonDocument? body, List<ValidationError> errors)
    {
        if (body is null || body.RootElement.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new ValidationError("$", "Send the secret as a JSON object: {\"value\": \"...\"}."));
            return null;
        }

        if (!body.RootElement.TryGetProperty("value", out var value))
        {
            errors.Add(new ValidationError("$.value", "'value' is missing: the secret to store, as text."));
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            errors.Add(new ValidationError("$.value", $"'value' must be text (put it in quotes), but it is {value.ValueKind.ToString().ToLowerInvariant()}."));
            return null;
        }

        var text = value.GetString()!;
        if (text.Trim().Length < SecretNames.MinValueLength)
        {
            errors.Add(new ValidationError("$.value", $"'value' must have at least {SecretNames.MinValueLength} characters besides spaces: shorter values cannot be masked in outputs and logs."));
        }
        else if (text.Length > SecretNames.MaxValueLength)
        {
            errors.Add(new ValidationError("$.value", $"'value' is longer than {SecretNames.MaxValueLength} characters."));
        }

        return text;
    }

    private static string EncodeCursor(string name) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(name));

    private static bool TryDecodeCursor(string cursor, out string? name)
    {
        name = null;
        try
        {
            var decoded = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor));
            if (!SecretNames.IsValid(decoded))
            {
                return false;
            }

            name = decoded;
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static string Shorten(string text) => text.Length <= 80 ? text : string.Concat(text.AsSpan(0, 80), "...");
}

/// <summary>Body of PUT /api/v1/secrets/{name}.</summary>
/// <param name="Value">The secret. Stored encrypted and never returned.</param>
public sealed record PutSecretRequest(string Value);

/// <summary>A secret as the API shows it: no value.</summary>
public sealed record SecretSummary(string Name, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>A page of secrets; <paramref name="NextCursor"/> is null on the last page.</summary>
public sealed record SecretListResponse(IReadOnlyList<SecretSummary> Items, string? NextCursor);
