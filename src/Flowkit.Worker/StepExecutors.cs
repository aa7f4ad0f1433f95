using System.Collections.Frozen;
using Flowkit.Worker.Steps;

namespace Flowkit.Worker;

/// <summary>The registered <see cref="IStepExecutor"/>s by step type.</summary>
public sealed class StepExecutors(IEnumerable<IStepExecutor> executors)
{
    private readonly FrozenDictionary<string, IStepExecutor> _byType =
        executors.ToFrozenDictionary(e => e.Type, StringComparer.Ordinal);

    public IStepExecutor? Find(string type) => _byType.GetValueOrDefault(type);
}
