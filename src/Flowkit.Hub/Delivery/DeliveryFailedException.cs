namespace Flowkit.Hub.Delivery;

/// <summary>An attempt of a delivery failed: data, not a fault. <see cref="Retryable"/> says whether another attempt may pass.</summary>
public sealed class DeliveryFailedException : Exception
{
    public DeliveryFailedException(string message, bool retryable, Exception? innerException = null)
        : base(message, innerException) => Retryable = retryable;

    public DeliveryFailedException()
    {
    }

    public DeliveryFailedException(string message)
        : base(message)
    {
    }

    public DeliveryFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public bool Retryable { get; }
}
