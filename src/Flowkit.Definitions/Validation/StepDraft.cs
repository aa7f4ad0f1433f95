using System.Text.Json;
using Flowkit.Sagas.Planning;

namespace Flowkit.Definitions.Validation;

/// <summary>A step id written somewhere (needs, then, else, or steps.&lt;id&gt; in an expression) and where.</summary>
internal readonly record struct StepReference(string Id, string Path);

/// <summary>What the reader learned about one step, complete or not; the graph checks work on these.</summary>
internal sealed class StepDraft(int index)
{
    public int Index { get; } = index;

    public string Path => JsonPath.Item("$.steps", Index);

    public string? Id { get; set; }

    public string? Type { get; set; }

    /// <summary>Null when the step has no <c>needs</c> key (it follows the previous step).</summary>
    public List<StepReference>? Needs { get; set; }

    public List<StepReference> Then { get; } = [];

    public List<StepReference> Else { get; } = [];

    /// <summary>Steps whose output the step's expressions read.</summary>
    public List<StepReference> Reads { get; } = [];

    /// <summary>Callback steps whose URL the step's expressions read (<c>steps.&lt;id&gt;.callbackUrl</c>).</summary>
    public List<StepReference> CallbackReads { get; } = [];

    public string? Description { get; set; }

    public string? If { get; set; }

    public string? Message { get; set; }

    public TimeSpan? For { get; set; }

    public string? Until { get; set; }

    public JsonElement? With { get; set; }

    public RetryPolicy Retry { get; set; } = RetryPolicy.None;

    public TimeSpan? Timeout { get; set; }

    public bool ContinueOnError { get; set; }

    /// <summary><c>forEach</c>: the template giving the list the step runs over; null for an ordinary step.</summary>
    public string? ForEach { get; set; }

    /// <summary>Where <see cref="ForEach"/> is written (its reads are not needed by the item attempts).</summary>
    public string? ForEachPath { get; set; }

    /// <summary><c>concurrency</c> of a for-each step (default 1).</summary>
    public int ForEachConcurrency { get; set; } = 1;

    /// <summary>How messages name the step: its id in quotes, or its position when it has no usable id.</summary>
    public string Name => Id is null ? $"step {Index + 1}" : $"'{Id}'";
}
