namespace LocalBatch.Testing.Internal;

/// <summary>
/// Builds the token ids of prompts, for the prompt cache model: one id per token that
/// <see cref="DeterministicModel.CountTokens"/> counts, so that two prompts' longest common prefix can be measured
/// in tokens. An id is a 64-bit hash of the token's text; the chat template's markers have ids of their own.
/// </summary>
internal static class PromptTokenIds
{
    private static readonly ulong s_messageStart = Hash("<|im_start|>");
    private static readonly ulong s_roleSeparator = Hash("<|im_sep|>");
    private static readonly ulong s_messageEnd = Hash("<|im_end|>");
    private static readonly ulong s_emptyChat = Hash("<|empty|>");

    /// <summary>Appends the ids of a text's words; a text without words is one token, as it counts one.</summary>
    public static void AppendText(List<ulong> ids, string text)
    {
        var count = ids.Count;
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            var boundary = i == text.Length || char.IsWhiteSpace(text[i]);
            if (boundary && start >= 0)
            {
                ids.Add(Hash(text.AsSpan(start, i - start)));
                start = -1;
            }
            else if (!boundary && start < 0)
            {
                start = i;
            }
        }

        if (ids.Count == count)
        {
            ids.Add(Hash(text));
        }
    }

    /// <summary>Appends the id of a token given by number (its JSON text).</summary>
    public static void AppendTokenNumber(List<ulong> ids, string number) => ids.Add(Hash("#" + number));

    /// <summary>Appends the 3 template tokens before a message's content: start marker, role, separator.</summary>
    public static void AppendMessageStart(List<ulong> ids, string role)
    {
        ids.Add(s_messageStart);
        ids.Add(Hash(role));
        ids.Add(s_roleSeparator);
    }

    /// <summary>Appends the template token after a message's content.</summary>
    public static void AppendMessageEnd(List<ulong> ids) => ids.Add(s_messageEnd);

    /// <summary>Appends the one token of a chat without messages, which counts one.</summary>
    public static void AppendEmptyChat(List<ulong> ids) => ids.Add(s_emptyChat);

    public static ulong[] OfText(string text)
    {
        var ids = new List<ulong>();
        AppendText(ids, text);
        return [.. ids];
    }

    /// <summary>64-bit FNV-1a over the UTF-16 code units of a token's text.</summary>
    private static ulong Hash(ReadOnlySpan<char> text)
    {
        const ulong offsetBasis = 14695981039346656037;
        const ulong prime = 1099511628211;
        var hash = offsetBasis;
        foreach (var c in text)
        {
            hash ^= c;
            hash *= prime;
        }

        return hash;
    }
}
