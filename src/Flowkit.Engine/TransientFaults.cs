using System.Net.Sockets;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Flowkit.Engine;

/// <summary>
/// Tells an infrastructure fault (PostgreSQL down, restarting or out of connections, a dropped connection, a timeout)
/// from a poison message (a bug or bad data that fails every time). Infrastructure faults are retried without limit
/// (docs/operations.md, "Outages"); only poison ends in an error queue.
/// </summary>
public static class TransientFaults
{
    /// <summary>Whether <paramref name="exception"/> or anything it wraps is an infrastructure fault.</summary>
    public static bool IsTransient(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                // Npgsql says which of its errors are worth retrying: I/O, timeouts, and the SQL states of a server
                // that is shutting down, starting up, out of resources, or a serialization failure or deadlock.
                case NpgsqlException npgsql when npgsql.IsTransient:
                case TimeoutException:
                case SocketException:
                case IOException:
                    return true;
                case AggregateException aggregate when aggregate.InnerExceptions.Any(IsTransient):
                    return true;
            }
        }

        return false;
    }

    /// <summary>A database error that is not transient but may pass on a second try (a race on a constraint).</summary>
    public static bool IsDatabase(Exception exception) => exception is NpgsqlException or DbUpdateException || exception.InnerException is NpgsqlException;
}
