using System.Net.Http.Headers;
using System.Text;
using Flowkit.Testing;

namespace Flowkit.IntegrationTests.Streams;

/// <summary>One Server-Sent Event as received: its id, event name and data.</summary>
internal sealed record SseEvent(string? Id, string? Event, string Data);

/// <summary>
/// Reads a <c>text/event-stream</c> answer the way a browser's EventSource does (fields, blank line ends an event,
/// comment lines start with a colon), over a real response stream.
/// </summary>
internal sealed class SseReader : IDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;

    private SseReader(HttpResponseMessage response, Stream stream)
    {
        _response = response;
        _reader = new StreamReader(stream, Encoding.UTF8);
    }

    public HttpResponseMessage Response => _response;

    /// <summary>Comment lines seen so far (heartbeats).</summary>
    public int Comments { get; private set; }

    /// <summary>Opens the stream; the answer's headers are read, its body is read event by event.</summary>
    public static async Task<SseReader> OpenAsync(HttpClient client, string path, string? lastEventId = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }

        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
        return new SseReader(response, await response.Content.ReadAsStreamAsync(TestContext.Current.CancellationToken));
    }

    /// <summary>The next event, or null when the server ended the stream; throws if none comes within <paramref name="timeout"/>.</summary>
    public async Task<SseEvent?> NextAsync(TimeSpan timeout)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cancel.CancelAfter(Eventually.Stretch(timeout));
        string? id = null, name = null;
        var data = new StringBuilder();
        while (true)
        {
            string? line;
            try
            {
                line = await _reader.ReadLineAsync(cancel.Token);
            }
            catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"No event within {timeout.TotalSeconds} s.");
            }

            if (line is null)
            {
                return null;
            }

            if (line.Length == 0)
            {
                if (data.Length > 0 || id is not null || name is not null)
                {
                    return new SseEvent(id, name, data.ToString());
                }

                continue;
            }

            if (line[0] == ':')
            {
                Comments++;
                continue;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? "" : line[(colon + 1)..].TrimStart(' ');
            switch (field)
            {
                case "id":
                    id = value;
                    break;
                case "event":
                    name = value;
                    break;
                case "data":
                    data.Append(data.Length > 0 ? "\n" : "").Append(value);
                    break;
            }
        }
    }

    /// <summary>The rest of the body as text (a problem answer's JSON).</summary>
    public Task<string> RestAsync() => _reader.ReadToEndAsync(TestContext.Current.CancellationToken);

    /// <summary>Every event until the server ends the stream.</summary>
    public async Task<List<SseEvent>> ReadToEndAsync(TimeSpan eachWithin)
    {
        var events = new List<SseEvent>();
        while (await NextAsync(eachWithin) is { } next)
        {
            events.Add(next);
        }

        return events;
    }

    public void Dispose()
    {
        _reader.Dispose();
        _response.Dispose();
    }
}
