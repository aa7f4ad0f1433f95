namespace Flowkit.Persistence.Callbacks;

/// <summary>
/// One callback step of one run (<c>run_callbacks</c>), created when the run starts. Found by the SHA-256 of its
/// token (the token itself is never stored). A call claims it once (<see cref="ReceivedAt"/> and <see cref="Body"/>);
/// the step's timeout claims it instead (<see cref="ExpiredAt"/>); whichever comes first wins.
/// </summary>
public sealed class CallbackRow
{
    public byte[] TokenHash { get; set; } = [];

    public Guid RunId { get; set; }

    public string StepId { get; set; } = "";

    public string Workspace { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? ReceivedAt { get; set; }

    /// <summary>The posted JSON body, once a call arrived.</summary>
    public string? Body { get; set; }

    public DateTimeOffset? ExpiredAt { get; set; }
}
