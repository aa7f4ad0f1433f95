namespace Flowkit.Sagas.Tests;

/// <summary>Callbacks kept in memory: a URL names the run and step; a call is recorded with <see cref="Receive"/>.</summary>
internal sealed class InMemoryCallbacks : IRunCallbacks
{
    public Dictionary<(Guid RunId, string StepId), string?> Open { get; } = [];

    public HashSet<(Guid RunId, string StepId)> Expired { get; } = [];

    public string UrlFor(Guid runId, string stepId) => $"http://flowkit.test/callbacks/{runId:N}-{stepId}";

    void IRunCallbacks.Open(RunState run, IReadOnlyCollection<string> stepIds, DateTimeOffset at)
    {
        foreach (var stepId in stepIds)
        {
            Open[(run.CorrelationId, stepId)] = null;
        }
    }

    public void Receive(Guid runId, string stepId, string body) => Open[(runId, stepId)] = body;

    public Task<string?> ReceivedBodyAsync(Guid runId, string stepId, CancellationToken cancellationToken) =>
        Task.FromResult(Open.GetValueOrDefault((runId, stepId)));

    public Task<bool> TryExpireAsync(Guid runId, string stepId, DateTimeOffset at, CancellationToken cancellationToken) =>
        Task.FromResult(Open.GetValueOrDefault((runId, stepId)) is null && Expired.Add((runId, stepId)));
}
