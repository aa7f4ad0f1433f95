using System.Text.Json;

namespace Flowkit.Sagas.Decisions;

/// <summary>
/// What the driver gathered before a step is dispatched: the outputs its expressions read, and by step type the
/// delay's end, the approval's message or the sealed secrets. <see cref="Problem"/> says why the engine could not
/// work out a value (the attempt then fails without reaching a worker).
/// </summary>
internal sealed record DispatchInputs(IReadOnlyDictionary<string, JsonElement> Outputs)
{
    public static DispatchInputs Empty { get; } = new(new Dictionary<string, JsonElement>(StringComparer.Ordinal));

    /// <summary>For a delay: when its wait ends.</summary>
    public DateTimeOffset? DelayUntil { get; init; }

    /// <summary>For an approval: its message with templates evaluated.</summary>
    public string? ApprovalMessage { get; init; }

    /// <summary>For a worker step: the sealed values of the secrets it reads that are set (missing names left out).</summary>
    public IReadOnlyDictionary<string, string> SealedSecrets { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The URLs of the run's callback steps by step id (<c>steps.&lt;id&gt;.callbackUrl</c>); empty when it has none.</summary>
    public IReadOnlyDictionary<string, string> CallbackUrls { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>For a callback: the JSON body of a call that arrived before the step started; null when none has.</summary>
    public string? CallbackBody { get; init; }

    /// <summary>For a for-each step when it starts: what its <c>forEach</c> expression gave (a list, or anything else, which fails it).</summary>
    public System.Text.Json.JsonElement? ForEachItems { get; init; }

    /// <summary>Why an expression the engine evaluates itself failed (the exception's message); null when none did.</summary>
    public string? Problem { get; init; }
}
