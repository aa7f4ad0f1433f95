using System.Text;

namespace Flowkit.Host.Observability;

/// <summary>Where the operations gauges read from: this process's database and RabbitMQ virtual host.</summary>
internal sealed class OperationsEndpoints
{
    public OperationsEndpoints(string? postgres, Uri rabbitMq, Uri? management)
    {
        ArgumentNullException.ThrowIfNull(rabbitMq);
        Postgres = postgres;
        Management = management is null || management.AbsoluteUri.EndsWith('/') ? management : new Uri(management.AbsoluteUri + "/");
        var path = Uri.UnescapeDataString(rabbitMq.AbsolutePath.TrimStart('/'));
        VirtualHost = path.Length == 0 ? "/" : path;

        // The management API takes the same user as AMQP (RabbitMQ's default guest when the URI names none).
        var userInfo = Uri.UnescapeDataString(rabbitMq.UserInfo);
        var credentials = userInfo.Length == 0 ? "guest:guest" : userInfo.Contains(':', StringComparison.Ordinal) ? userInfo : userInfo + ":";
        ManagementCredentials = Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials));
    }

    /// <summary>The PostgreSQL connection string, or null in a process that does not use the database (a worker).</summary>
    public string? Postgres { get; }

    /// <summary>The RabbitMQ management API's base address, or null when none is configured.</summary>
    public Uri? Management { get; }

    public string VirtualHost { get; }

    /// <summary>Base64 of <c>user:password</c> for basic authentication.</summary>
    public string ManagementCredentials { get; }
}
