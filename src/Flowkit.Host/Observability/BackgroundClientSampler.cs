using System.Diagnostics;
using OpenTelemetry.Trace;

namespace Flowkit.Host.Observability;

/// <summary>
/// Samples every span that belongs to a request or a message, and drops client spans that start a trace of their
/// own: the outbox relay's and the sweeper's polling queries and the gauges' reads would otherwise each be a trace
/// with one span, drowning the runs. Used as the root sampler of a parent-based sampler.
/// </summary>
internal sealed class BackgroundClientSampler : Sampler
{
    public override SamplingResult ShouldSample(in SamplingParameters samplingParameters) =>
        samplingParameters.Kind == ActivityKind.Client && samplingParameters.ParentContext.TraceId == default
            ? new SamplingResult(SamplingDecision.Drop)
            : new SamplingResult(SamplingDecision.RecordAndSample);
}
