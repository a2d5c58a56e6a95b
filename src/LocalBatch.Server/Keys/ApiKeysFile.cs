using System.Security.Cryptography;
using System.Text.Json;
using LocalBatch.Server.Keys.Internal;

namespace LocalBatch.Server;

/// <summary>
/// The keys file of a server shared by a team (<see cref="LocalBatchServerOptions.KeysFile"/>, <c>localbatch serve --keys</c>):
/// <c>{"keys": [{"name": "ana", "key_sha256": "…"}, {"name": "ops", "key_sha256": "…", "admin": true}]}</c>, each key
/// stored as the lowercase hex SHA-256 of its UTF-8 bytes, never plain; optional per-key <c>max_running_batches</c> and
/// <c>max_stored_bytes</c>. A running server reads it again when it changes.
/// </summary>
public static class ApiKeysFile
{
    /// <summary>
    /// Adds a new random key named <paramref name="name"/> to the keys file (created when missing) and returns the key:
    /// the only time it is ever seen, since the file keeps only its hash. The file is rewritten through a temporary file
    /// renamed into place, so that a running server never reads it half written; its other keys and fields are kept.
    /// </summary>
    /// <param name="path">The keys file.</param>
    /// <param name="name">The key's name: 1 to 64 characters, no control characters; the owner of what the key creates.</param>
    /// <param name="admin">Whether the key sees and acts on every file and batch, whoever owns it.</param>
    /// <param name="cancellationToken">Cancels the writing.</param>
    /// <returns>The new key, such as <c>lb-3q2…</c> (46 characters).</returns>
    /// <exception cref="ArgumentException"><paramref name="name"/> is not a valid name.</exception>
    /// <exception cref="InvalidOperationException">The file has a key named <paramref name="name"/> already.</exception>
    /// <exception cref="InvalidDataException">The file exists but is not a valid keys file; it is left as it is.</exception>
    /// <exception cref="IOException">The file cannot be read or written.</exception>
    public static async Task<string> AddKeyAsync(string path, string name, bool admin = false, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(name);
        if (ApiKeySet.NameProblem(name) is { } problem)
        {
            throw new ArgumentException($"The key's name {problem}", nameof(name));
        }

        var document = File.Exists(path) ? ApiKeySet.Read(path) : new ApiKeysDocument();
        if (document.Keys.Any(entry => string.Equals(entry.Name, name, StringComparison.Ordinal)))
        {
            throw new InvalidOperationException($"The keys file {path} has a key named '{name}' already; remove it from the file first, or choose another name.");
        }

        var key = "lb-" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        document.Keys.Add(new ApiKeyEntry { Name = name, KeySha256 = Convert.ToHexStringLower(ApiKeySet.Hash(key)), Admin = admin });

        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temporary = full + ".tmp";
        var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 4096, FileOptions.Asynchronous);
        await using (stream.ConfigureAwait(false))
        {
            await JsonSerializer.SerializeAsync(stream, document, ApiKeysJsonContext.Default.ApiKeysDocument, cancellationToken).ConfigureAwait(false);
            stream.Flush(flushToDisk: true);
        }

        if (!OperatingSystem.IsWindows())
        {
            // A new file is its owner's alone (hashes only, but nobody else's business); an existing one keeps its mode.
            File.SetUnixFileMode(temporary, File.Exists(full) ? File.GetUnixFileMode(full) : UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.Move(temporary, full, overwrite: true);
        return key;
    }
}
