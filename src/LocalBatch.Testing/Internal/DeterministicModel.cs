namespace LocalBatch.Testing.Internal;

/// <summary>
/// The simulated model: token counting, generated text and embeddings, all derived from a stable hash
/// (64-bit FNV-1a over UTF-8, mixed with SplitMix64) so the same input always gives the same output, in
/// every process.
/// </summary>
/// <remarks>
/// A token is a whitespace-separated word; every text has at least 1 token. Generated text is made of words
/// from a fixed vocabulary separated by single spaces, so counting its tokens gives back the number of
/// completion tokens.
/// </remarks>
internal static class DeterministicModel
{
    private static readonly string[] s_vocabulary =
    [
        "the", "model", "simulated", "answer", "local", "batch", "token", "slot",
        "llama", "server", "gateway", "prompt", "quick", "brown", "fox", "jumps",
        "over", "lazy", "dog", "river", "stone", "light", "cloud", "north",
        "paper", "green", "seven", "window", "garden", "silver", "moment", "signal",
        "orange", "planet", "quiet", "engine", "forest", "bridge", "copper", "winter",
        "harbor", "castle", "meadow", "rocket", "violet", "canyon", "ember", "falcon",
        "glacier", "island", "jungle", "lantern", "marble", "nectar", "oasis", "pepper",
        "quartz", "ribbon", "saddle", "timber", "umber", "velvet", "willow", "zephyr",
    ];

    /// <summary>Counts the whitespace-separated words of <paramref name="text"/>, at least 1.</summary>
    public static int CountTokens(string text)
    {
        var count = 0;
        var inWord = false;
        foreach (var c in text)
        {
            if (char.IsWhiteSpace(c))
            {
                inWord = false;
            }
            else if (!inWord)
            {
                inWord = true;
                count++;
            }
        }

        return Math.Max(1, count);
    }

    /// <summary>Hashes a text with 64-bit FNV-1a over its UTF-8 bytes.</summary>
    public static ulong Hash(string text)
    {
        const ulong offsetBasis = 14695981039346656037;
        const ulong prime = 1099511628211;
        var hash = offsetBasis;
        Span<byte> buffer = stackalloc byte[4];
        foreach (var rune in text.EnumerateRunes())
        {
            var length = rune.EncodeToUtf8(buffer);
            for (var i = 0; i < length; i++)
            {
                hash ^= buffer[i];
                hash *= prime;
            }
        }

        return hash;
    }

    /// <summary>Returns the words generated for a prompt hash and choice number.</summary>
    public static string[] GenerateWords(ulong promptHash, int choice, int tokenCount)
    {
        var words = new string[tokenCount];
        var seed = Mix(promptHash ^ Mix((ulong)choice + 1));
        for (var i = 0; i < tokenCount; i++)
        {
            var value = Mix(seed + ((ulong)i * 0x9E3779B97F4A7C15));
            words[i] = s_vocabulary[(int)(value % (ulong)s_vocabulary.Length)];
        }

        return words;
    }

    /// <summary>Returns the completion text generated for a prompt hash and choice number.</summary>
    public static string GenerateText(ulong promptHash, int choice, int tokenCount) =>
        string.Join(' ', GenerateWords(promptHash, choice, tokenCount));

    /// <summary>Returns an L2-normalised embedding of <paramref name="dimensions"/> floats for a text hash.</summary>
    public static float[] Embed(ulong textHash, int dimensions)
    {
        var values = new double[dimensions];
        var sumOfSquares = 0.0;
        for (var i = 0; i < dimensions; i++)
        {
            var bits = Mix(textHash + ((ulong)(i + 1) * 0x9E3779B97F4A7C15));

            // 53 random bits to a double in [-1, 1).
            var value = ((bits >> 11) * (1.0 / (1UL << 53)) * 2.0) - 1.0;
            values[i] = value;
            sumOfSquares += value * value;
        }

        var norm = Math.Sqrt(sumOfSquares);
        var embedding = new float[dimensions];
        for (var i = 0; i < dimensions; i++)
        {
            embedding[i] = norm > 0 ? (float)(values[i] / norm) : (float)(1.0 / Math.Sqrt(dimensions));
        }

        return embedding;
    }

    private static ulong Mix(ulong value)
    {
        // SplitMix64 finaliser.
        value += 0x9E3779B97F4A7C15;
        value = (value ^ (value >> 30)) * 0xBF58476D1CE4E5B9;
        value = (value ^ (value >> 27)) * 0x94D049BB133111EB;
        return value ^ (value >> 31);
    }
}
