using System.Globalization;

namespace Flowkit.Definitions.Validation;

/// <summary>
/// The problems found in one definition and the budgets that keep validating it cheap whatever it holds
/// (issue #19): at most <see cref="DefinitionLimits.MaxErrors"/> problems (then validation stops), "did you
/// mean" only for the first <see cref="DefinitionLimits.MaxSuggestions"/>, at most
/// <see cref="DefinitionLimits.MaxReferences"/> step references when quotas apply, and the caller's cancellation.
/// </summary>
internal sealed class ProblemCollector(DefinitionLimits limits, bool quotas, CancellationToken cancellationToken)
{
    private readonly List<ValidationError> _errors = [];
    private int _suggestions;
    private int _references;

    public IReadOnlyList<ValidationError> Errors => _errors;

    public DefinitionLimits Limits { get; } = limits;

    /// <summary>True for a definition being created or updated; false for a stored one, which keeps running under the limits it was accepted with.</summary>
    public bool Quotas { get; } = quotas;

    public CancellationToken CancellationToken { get; } = cancellationToken;

    /// <summary>Records a problem; at the limit, records that validation stopped and ends it.</summary>
    public void Add(string path, string message)
    {
        _errors.Add(new ValidationError(path, message));
        if (_errors.Count >= Limits.MaxErrors)
        {
            _errors.Add(new ValidationError(JsonPath.Root,
                $"Validation stopped after {Limits.MaxErrors.ToString("N0", CultureInfo.InvariantCulture)} problems (setting Flowkit:Limits:MaxErrors); fix these and send the definition again to see the rest."));
            throw new ValidationStoppedException();
        }
    }

    /// <summary>" Did you mean 'x'?" for the first few problems that ask; nothing after that, so a definition full of typos stays cheap.</summary>
    public string DidYouMean(string wrong, IEnumerable<string> candidates)
    {
        if (_suggestions >= Limits.MaxSuggestions)
        {
            return string.Empty;
        }

        _suggestions++;
        return Suggestions.DidYouMean(wrong, candidates);
    }

    /// <summary>Counts one step reference written at <paramref name="path"/>; past the quota, reports it and ends validation.</summary>
    public void CountReference(string path)
    {
        CancellationToken.ThrowIfCancellationRequested();
        if (++_references <= Limits.MaxReferences || !Quotas)
        {
            return;
        }

        _errors.Add(new ValidationError(path,
            $"The definition has more than {Limits.MaxReferences.ToString("N0", CultureInfo.InvariantCulture)} step references (ids in needs, then and else, and steps.<id> reads in expressions); this one is over the limit (setting Flowkit:Limits:MaxReferences). Split the workflow."));
        throw new ValidationStoppedException();
    }
}
