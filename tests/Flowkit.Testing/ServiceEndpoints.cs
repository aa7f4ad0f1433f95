namespace Flowkit.Testing;

/// <summary>
/// Where the real PostgreSQL, RabbitMQ and Redis are: environment variables first (as CI and `make test` export
/// them), else <c>.local/services/services.env</c> written by <c>deploy/local/services.sh up</c>.
/// </summary>
public sealed record ServiceEndpoints(string Postgres, Uri RabbitMq, string Redis, Uri RabbitMqManagement)
{
    public const string StartHint = "Start them with 'make services-up' (deploy/local/services.sh up), which also writes .local/services/services.env.";

    public static ServiceEndpoints Load()
    {
        var file = ReadServicesEnv();
        string Get(string key) =>
            Environment.GetEnvironmentVariable(key) is { Length: > 0 } value ? value
            : file.TryGetValue(key, out var fromFile) ? fromFile
            : throw new InvalidOperationException($"'{key}' is not set and .local/services/services.env has no value for it. {StartHint}");

        return new ServiceEndpoints(
            Get("ConnectionStrings__Postgres"),
            new Uri(Get("ConnectionStrings__RabbitMq")),
            Get("ConnectionStrings__Redis"),
            new Uri(Get("Flowkit__RabbitMqManagementUrl")));
    }

    /// <summary>The repository root: the folder holding Flowkit.sln above the test binaries.</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Flowkit.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No Flowkit.sln above {AppContext.BaseDirectory}.");
    }

    private static Dictionary<string, string> ReadServicesEnv()
    {
        var path = Path.Combine(RepositoryRoot(), ".local", "services", "services.env");
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!File.Exists(path))
        {
            return values;
        }

        foreach (var line in File.ReadAllLines(path))
        {
            var separator = line.IndexOf('=', StringComparison.Ordinal);
            if (separator > 0 && !line.StartsWith('#'))
            {
                values[line[..separator].Trim()] = line[(separator + 1)..].Trim();
            }
        }

        return values;
    }
}
