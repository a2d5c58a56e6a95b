using System.Text.Json;

namespace LocalBatch.Processing.Internal;

/// <summary>
/// The part of a prompt that requests about the same material share, as a 64-bit key: requests with the same key are
/// worth running one after another on one slot, whose prompt cache then keeps the shared part. A completion's is its
/// prompt up to its last line break (a document, then a question); a chat's is every message before the last user
/// turn (system prompt and document, then the question), after Anthropic's top-level <c>system</c> or a response's
/// <c>instructions</c>. 0 means no prefix worth sharing.
/// </summary>
internal static class PromptPrefix
{
    /// <summary>The shortest shared part worth keeping requests together for, in characters.</summary>
    public const int MinSharedChars = 200;

    private const ulong Offset = 14695981039346656037UL;
    private const ulong Prime = 1099511628211UL;

    public static ulong KeyOf(string? prompt)
    {
        if (prompt is null)
        {
            return 0;
        }

        var end = prompt.LastIndexOf('\n');
        return end >= MinSharedChars ? Finish(Add(Offset, prompt.AsSpan(0, end))) : 0;
    }

    public static ulong KeyOf(IReadOnlyList<ChatCompletionMessage>? messages)
    {
        var lastUser = LastUserTurn(messages, static m => m.Role);
        if (lastUser <= 0)
        {
            return 0;
        }

        var hash = Offset;
        var length = 0;
        for (var i = 0; i < lastUser; i++)
        {
            hash = AddMessage(hash, messages![i].Role, messages[i].Content, ref length);
        }

        return length >= MinSharedChars ? Finish(hash) : 0;
    }

    /// <summary>
    /// The key of a raw request body (a Batch API line's): a completion's <c>prompt</c>; a response's <c>instructions</c>
    /// and <c>input</c> (a string input up to its last line break, as a prompt; an array of items as chat messages); else
    /// chat <c>messages</c>, after Anthropic's top-level <c>system</c> when the body has one.
    /// </summary>
    public static ulong KeyOf(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            return 0;
        }

        if (body.TryGetProperty("prompt", out var prompt))
        {
            return prompt.ValueKind == JsonValueKind.String ? KeyOf(prompt.GetString()) : 0;
        }

        if (body.TryGetProperty("input", out var input))
        {
            var instructions = body.TryGetProperty("instructions", out var value) ? TextOfContent(value) : null;
            return input.ValueKind == JsonValueKind.String ? KeyOfText(instructions, input.GetString()!) : KeyOfTurns(instructions, input);
        }

        var system = body.TryGetProperty("system", out var anthropicSystem) ? TextOfContent(anthropicSystem) : null;
        return body.TryGetProperty("messages", out var messages) ? KeyOfTurns(system, messages) : 0;
    }

    /// <summary>A system text (or none), then one user text up to its last line break.</summary>
    private static ulong KeyOfText(string? system, string text)
    {
        var end = text.LastIndexOf('\n');
        var hash = Offset;
        var length = 0;
        if (system is not null)
        {
            hash = AddMessage(hash, "system", system, ref length);
        }

        if (end > 0)
        {
            hash = AddMessage(hash, "user", text[..end], ref length);
        }

        return length >= MinSharedChars ? Finish(hash) : 0;
    }

    /// <summary>A system text (or none), then every message before the last user turn.</summary>
    private static ulong KeyOfTurns(string? system, JsonElement messages)
    {
        if (messages.ValueKind != JsonValueKind.Array)
        {
            return 0;
        }

        var lastUser = -1;
        var index = 0;
        foreach (var message in messages.EnumerateArray())
        {
            if (RoleOf(message) == "user")
            {
                lastUser = index;
            }

            index++;
        }

        if (lastUser < 0 || (lastUser == 0 && system is null))
        {
            return 0;
        }

        var hash = Offset;
        var length = 0;
        if (system is not null)
        {
            hash = AddMessage(hash, "system", system, ref length);
        }

        index = 0;
        foreach (var message in messages.EnumerateArray())
        {
            if (index++ == lastUser)
            {
                break;
            }

            hash = AddMessage(hash, RoleOf(message), TextOf(message), ref length);
        }

        return length >= MinSharedChars ? Finish(hash) : 0;
    }

    private static int LastUserTurn<T>(IReadOnlyList<T>? messages, Func<T, string?> role)
    {
        if (messages is null)
        {
            return -1;
        }

        for (var i = messages.Count - 1; i >= 0; i--)
        {
            if (role(messages[i]) == "user")
            {
                return i;
            }
        }

        return -1;
    }

    private static string? RoleOf(JsonElement message) =>
        message.ValueKind == JsonValueKind.Object && message.TryGetProperty("role", out var role) && role.ValueKind == JsonValueKind.String ? role.GetString() : null;

    /// <summary>A message's text: its content string, or the text of its parts.</summary>
    private static string? TextOf(JsonElement message) =>
        message.ValueKind == JsonValueKind.Object && message.TryGetProperty("content", out var content) ? TextOfContent(content) : null;

    /// <summary>A content value's text: a string as it is, an array of parts as its JSON.</summary>
    private static string? TextOfContent(JsonElement content) => content.ValueKind switch
    {
        JsonValueKind.String => content.GetString(),
        JsonValueKind.Array => content.GetRawText(),
        _ => null,
    };

    private static ulong AddMessage(ulong hash, string? role, string? content, ref int length)
    {
        hash = Add(hash, role ?? string.Empty);
        hash = Add(hash, "\u001e");
        hash = Add(hash, content ?? string.Empty);
        length += content?.Length ?? 0;
        return Add(hash, "\u001f");
    }

    /// <summary>FNV-1a over UTF-16 code units: a collision only puts two groups on one lane.</summary>
    private static ulong Add(ulong hash, ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            hash = (hash ^ c) * Prime;
        }

        return hash;
    }

    private static ulong Finish(ulong hash) => hash == 0 ? 1 : hash;
}
