using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace LocalBatch.Server.Keys.Internal;

/// <summary>
/// The keys a server accepts at one moment: those of the keys file and the single <c>--api-key</c>, each as the SHA-256
/// of the key with the caller it stands for. A presented key is hashed and compared with every one in constant time (no
/// early exit, so that neither which key matched nor how much of it leaks through timing).
/// </summary>
internal sealed class ApiKeySet
{
    public const int MaxNameLength = 64;

    private readonly (byte[] Hash, Caller Caller)[] _keys;

    private ApiKeySet((byte[] Hash, Caller Caller)[] keys) => _keys = keys;

    /// <summary>Gets the number of keys.</summary>
    public int Count => _keys.Length;

    /// <summary>The set of the keys file's <paramref name="document"/> and the single admin key <paramref name="apiKey"/>.</summary>
    public static ApiKeySet Create(ApiKeysDocument? document, string? apiKey)
    {
        var keys = new List<(byte[], Caller)>();
        if (apiKey is not null)
        {
            keys.Add((Hash(apiKey), Caller.Admin));
        }

        foreach (var entry in document?.Keys ?? [])
        {
            keys.Add((Convert.FromHexString(entry.KeySha256!), new Caller(entry.Name, entry.Admin, entry.MaxRunningBatches, entry.MaxStoredBytes)));
        }

        return new ApiKeySet([.. keys]);
    }

    /// <summary>The caller whose key is <paramref name="presentedKey"/>, or <see langword="null"/> for an unknown key.</summary>
    public Caller? Find(string? presentedKey)
    {
        if (presentedKey is null)
        {
            return null;
        }

        Span<byte> presented = stackalloc byte[SHA256.HashSizeInBytes];
        Hash(presentedKey, presented);
        return FindHash(presented);
    }

    /// <summary>
    /// The caller whose key has the SHA-256 <paramref name="keyHash"/> (a dashboard session keeps the hash of the key it
    /// logged in with, never the key), or <see langword="null"/> when no key of the set has it (any more).
    /// </summary>
    public Caller? FindHash(ReadOnlySpan<byte> keyHash)
    {
        Caller? found = null;
        foreach (var (hash, caller) in _keys)
        {
            // Every key is compared, whichever matches.
            if (CryptographicOperations.FixedTimeEquals(keyHash, hash))
            {
                found = caller;
            }
        }

        return found;
    }

    /// <summary>The SHA-256 of a key's UTF-8 bytes.</summary>
    public static byte[] Hash(string key)
    {
        var hash = new byte[SHA256.HashSizeInBytes];
        Hash(key, hash);
        return hash;
    }

    /// <summary>Writes the SHA-256 of a key's UTF-8 bytes (trimmed, as keys are compared) to <paramref name="destination"/>.</summary>
    private static void Hash(string key, Span<byte> destination) => SHA256.HashData(Encoding.UTF8.GetBytes(key.Trim()), destination);

    /// <summary>Reads and checks a keys file.</summary>
    /// <exception cref="InvalidDataException">The file is not a valid keys file; the message says where (never a key or a hash).</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static ApiKeysDocument Read(string path)
    {
        ApiKeysDocument? document;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            document = stream.Length == 0 ? new ApiKeysDocument() : JsonSerializer.Deserialize(stream, ApiKeysJsonContext.Default.ApiKeysDocument);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"The keys file {path} is not valid JSON (line {ex.LineNumber + 1}): expected {{\"keys\": [{{\"name\": \"…\", \"key_sha256\": \"…\"}}]}}.", ex);
        }

        document ??= new ApiKeysDocument();
        if (Problem(document) is { } problem)
        {
            throw new InvalidDataException($"The keys file {path} is not valid: {problem}");
        }

        return document;
    }

    /// <summary>The first problem of a keys file's content, or <see langword="null"/> when it is valid.</summary>
    public static string? Problem(ApiKeysDocument document)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var hashes = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < document.Keys.Count; i++)
        {
            var entry = document.Keys[i];
            var at = string.Create(CultureInfo.InvariantCulture, $"keys[{i}]");
            if (entry is null)
            {
                return $"{at} is null.";
            }

            if (NameProblem(entry.Name) is { } nameProblem)
            {
                return $"{at}.name {nameProblem}";
            }

            if (entry.KeySha256 is not { Length: SHA256.HashSizeInBytes * 2 } hash || !hash.All(char.IsAsciiHexDigit))
            {
                return $"{at}.key_sha256 (of '{entry.Name}') must be 64 hex digits, the SHA-256 of the key (localbatch serve keys add writes it).";
            }

            if (!names.Add(entry.Name!))
            {
                return $"{at}.name: the name '{entry.Name}' is given twice.";
            }

            if (!hashes.Add(hash))
            {
                return $"{at}.key_sha256 (of '{entry.Name}') is the hash of another key too.";
            }

            if (entry.MaxRunningBatches is < 1 || entry.MaxStoredBytes is < 1)
            {
                return $"{at} ('{entry.Name}'): max_running_batches and max_stored_bytes must be positive when given.";
            }
        }

        return null;
    }

    /// <summary>What is wrong with a key's name, or <see langword="null"/>: 1 to 64 characters, none a control character.</summary>
    public static string? NameProblem(string? name) =>
        string.IsNullOrWhiteSpace(name) || name.Length > MaxNameLength || name.Any(char.IsControl) || name != name.Trim()
            ? $"must have 1 to {MaxNameLength} characters, no control characters and no spaces around them."
            : null;
}
