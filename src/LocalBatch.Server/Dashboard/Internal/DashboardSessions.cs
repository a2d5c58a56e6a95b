using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;

using LocalBatch.Server.Keys.Internal;

namespace LocalBatch.Server.Dashboard.Internal;

/// <summary>
/// The dashboard's logins, in memory only: a random session id (32 bytes, base64url) for each, mapped to the SHA-256 of
/// the key it logged in with, which is looked up among the keys in force at each request (a removed key's sessions stop
/// at once, a key made admin is one at once). The key itself is never kept, nor put in the cookie or a URL. A session ends at logout, after
/// <see cref="IdleTimeout"/> without a request, or when the server stops; past <see cref="MaxSessions"/> the least
/// recently used one ends first.
/// </summary>
internal sealed class DashboardSessions(TimeProvider time)
{
    /// <summary>How long a session lasts without a request.</summary>
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromHours(12);

    /// <summary>The most sessions kept at once.</summary>
    public const int MaxSessions = 1_000;

    private readonly ConcurrentDictionary<string, Session> _sessions = new(StringComparer.Ordinal);

    /// <summary>Starts a session for the key of SHA-256 <paramref name="keyHash"/>; returns its id, for the cookie.</summary>
    public string Start(byte[] keyHash)
    {
        var now = time.GetUtcNow();
        RemoveExpired(now);
        while (_sessions.Count >= MaxSessions && _sessions.MinBy(static pair => pair.Value.LastUsed).Key is { } oldest)
        {
            _sessions.TryRemove(oldest, out _);
        }

        var id = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        _sessions[id] = new Session(keyHash, now);
        return id;
    }

    /// <summary>The key hash of a live session (and the session is used now), or <see langword="null"/>.</summary>
    public byte[]? Find(string? id)
    {
        if (string.IsNullOrEmpty(id) || !_sessions.TryGetValue(id, out var session))
        {
            return null;
        }

        var now = time.GetUtcNow();
        if (now - session.LastUsed > IdleTimeout)
        {
            _sessions.TryRemove(id, out _);
            return null;
        }

        _sessions.TryUpdate(id, session with { LastUsed = now }, session);
        return session.KeyHash;
    }

    /// <summary>
    /// The caller of the session <paramref name="id"/>: whom its key stands for among the keys in force now (an admin on a
    /// server without keys), or <see langword="null"/> when there is no such session or its key is gone (it ends then).
    /// </summary>
    public Caller? CallerOf(string? id, ApiKeyRing keys)
    {
        if (keys.IsOpen)
        {
            return Caller.Admin;
        }

        if (Find(id) is not { } keyHash)
        {
            return null;
        }

        var caller = keys.Current.FindHash(keyHash);
        if (caller is null)
        {
            End(id);
        }

        return caller;
    }

    /// <summary>Ends a session (nothing when there is none).</summary>
    public void End(string? id)
    {
        if (!string.IsNullOrEmpty(id))
        {
            _sessions.TryRemove(id, out _);
        }
    }

    private void RemoveExpired(DateTimeOffset now)
    {
        foreach (var (id, session) in _sessions)
        {
            if (now - session.LastUsed > IdleTimeout)
            {
                _sessions.TryRemove(id, out _);
            }
        }
    }

    private sealed record Session(byte[] KeyHash, DateTimeOffset LastUsed);
}
