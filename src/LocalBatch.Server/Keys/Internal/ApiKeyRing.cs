using LocalBatch.Server.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LocalBatch.Server.Keys.Internal;

/// <summary>
/// The keys the server accepts now: <see cref="LocalBatchServerOptions.ApiKey"/> and those of
/// <see cref="LocalBatchServerOptions.KeysFile"/>, reloaded when the file changes, without a restart. Every lookup first
/// compares the file's size and time of last write with those of the last load (one <c>stat</c>), so that a change counts
/// from the very next request: a removed key stops working at once, and no timer or file watcher is involved. A file
/// that cannot be read as keys (half written, damaged) leaves the last keys in place, logged; a file that is gone
/// leaves only the single <c>ApiKey</c>.
/// </summary>
internal sealed class ApiKeyRing
{
    private readonly string? _path;
    private readonly string? _apiKey;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private volatile Loaded _loaded;

    public ApiKeyRing(IOptions<LocalBatchServerOptions> options, ILogger<ApiKeyRing> logger)
    {
        _apiKey = options.Value.ApiKey;
        _path = options.Value.KeysFile is { } path ? Path.GetFullPath(path) : null;
        _logger = logger;
        var stamp = Stamp();
        _loaded = new Loaded(ApiKeySet.Create(_path is null ? null : ApiKeySet.Read(_path), _apiKey), stamp);
    }

    /// <summary>Gets a value indicating whether the server takes no key at all: every request is an admin's.</summary>
    public bool IsOpen => _path is null && _apiKey is null;

    /// <summary>Gets the keys, reloaded first when the file changed since the last load.</summary>
    public ApiKeySet Current
    {
        get
        {
            var loaded = _loaded;
            return _path is null || Stamp() == loaded.Stamp ? loaded.Set : Reload();
        }
    }

    /// <summary>Loads the keys file again (whether or not it looks changed) and returns the keys in force.</summary>
    public ApiKeySet Reload()
    {
        if (_path is null)
        {
            return _loaded.Set;
        }

        lock (_gate)
        {
            var stamp = Stamp();
            try
            {
                var set = ApiKeySet.Create(File.Exists(_path) ? ApiKeySet.Read(_path) : null, _apiKey);
                _loaded = new Loaded(set, stamp);
                Log.KeysReloaded(_logger, _path, set.Count);
            }
            catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                // Likely caught half written: the next change is read again, and meanwhile the last keys stay.
                _loaded = _loaded with { Stamp = stamp };
                Log.KeysFileUnreadable(_logger, _path, ex.Message);
            }

            return _loaded.Set;
        }
    }

    private (long Ticks, long Length) Stamp()
    {
        if (_path is null)
        {
            return default;
        }

        var info = new FileInfo(_path);
        return info.Exists ? (info.LastWriteTimeUtc.Ticks, info.Length) : (-1, -1);
    }

    private sealed record Loaded(ApiKeySet Set, (long Ticks, long Length) Stamp);
}
