using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Flowkit.IntegrationTests;

/// <summary>
/// Captures the log lines of an in-process host while a test runs (added to the host's logger factory, which
/// cannot remove a provider again, so <see cref="Dispose"/> stops the capture).
/// </summary>
internal sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();
    private volatile bool _stopped;

    public string All => string.Join('\n', _lines);

    public int Count => _lines.Count;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose() => _stopped = true;

    private sealed class Logger(CapturedLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull
        {
            if (!owner._stopped)
            {
                var text = state is IEnumerable<KeyValuePair<string, object?>> pairs
                    ? string.Join(", ", pairs.Select(p => $"{p.Key}={p.Value}"))
                    : state.ToString();
                owner._lines.Enqueue($"scope {category}: {text}");
            }

            return null;
        }

        public bool IsEnabled(LogLevel logLevel) => !owner._stopped;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            ArgumentNullException.ThrowIfNull(formatter);
            if (!owner._stopped)
            {
                owner._lines.Enqueue($"{logLevel} {category} [{eventId.Id}] {formatter(state, exception)} {exception}");
            }
        }
    }
}
