using Flowkit.Sagas;
using Flowkit.Sagas.Activities;

namespace Microsoft.Extensions.DependencyInjection;

public static class SagaServiceCollectionExtensions
{
    /// <summary>
    /// The run saga's own services: the driver and one activity per event. The host adds what they use
    /// (<see cref="IRunStore"/>, <see cref="IRunCallbacks"/>, <see cref="IOutbox"/>, <see cref="IEngineExpressions"/>, <see cref="IConcurrencySlots"/>,
    /// a <see cref="TimeProvider"/> and <see cref="EngineOptions"/>).
    /// </summary>
    public static IServiceCollection AddFlowkitRunSaga(this IServiceCollection services)
    {
        services.AddScoped<RunDriver>();
        services.AddScoped<StartRunActivity>();
        services.AddScoped<StepFinishedActivity>();
        services.AddScoped<StepTimedOutActivity>();
        services.AddScoped<StepRetryDueActivity>();
        services.AddScoped<DelayElapsedActivity>();
        services.AddScoped<DecideApprovalActivity>();
        services.AddScoped<ApprovalExpiredActivity>();
        services.AddScoped<CancelRunActivity>();
        services.AddScoped<RunTimedOutActivity>();
        services.AddScoped<PauseRunActivity>();
        services.AddScoped<ResumeRunActivity>();
        services.AddScoped<CallbackReceivedActivity>();
        services.AddScoped<CallbackExpiredActivity>();
        return services;
    }
}
