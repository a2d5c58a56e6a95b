using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LocalBatch.Testing.Internal;

/// <summary>
/// Reads prompts, embedding inputs and chat messages into <see cref="PromptInput"/>s: canonical text, token count
/// and, when asked (the prompt cache is modelled), token ids.
/// </summary>
internal static class PromptParser
{
    /// <summary>
    /// Reads a prompt or embedding input like llama-server's <c>tokenize_input_prompts</c>: a string, a list of
    /// tokens (or of mixed strings and tokens) for one prompt, or a list of such prompts.
    /// </summary>
    public static PromptInput[]? ParsePrompts(JsonNode node, bool withTokenIds, out GatewayResponse? error)
    {
        error = null;
        if (node is JsonArray array)
        {
            if (array.Count == 0)
            {
                error = ErrorResponses.ServerError(ErrorResponses.EmptyPrompt);
                return null;
            }

            if (array.Any(static e => e is JsonValue v && v.GetValueKind() == JsonValueKind.Number))
            {
                // One prompt made of tokens, possibly mixed with strings.
                var single = ParseSinglePrompt(array, withTokenIds, out error);
                return single is { } p ? [p] : null;
            }

            var prompts = new PromptInput[array.Count];
            for (var i = 0; i < array.Count; i++)
            {
                var prompt = array[i] is JsonNode element ? ParseSinglePrompt(element, withTokenIds, out error) : null;
                if (prompt is not { } p)
                {
                    error ??= ErrorResponses.ServerError(ErrorResponses.InvalidPrompt);
                    return null;
                }

                prompts[i] = p;
            }

            return prompts;
        }

        var one = ParseSinglePrompt(node, withTokenIds, out error);
        return one is { } value ? [value] : null;
    }

    /// <summary>
    /// Reads chat messages into one prompt: the transcript as canonical text, and as tokens the words of every
    /// message's content plus 4 per message for the chat template (start marker, role, separator, end marker).
    /// </summary>
    public static PromptInput? ParseChatMessages(JsonArray messages, bool withTokenIds, out GatewayResponse? error)
    {
        var transcript = new StringBuilder();
        var ids = withTokenIds ? new List<ulong>() : null;
        var tokens = 0;
        foreach (var messageNode in messages)
        {
            if (messageNode is not JsonObject message)
            {
                error = ErrorResponses.InvalidRequest("Expected 'messages' to be an array of objects");
                return null;
            }

            var role = message["role"] is JsonValue roleValue && roleValue.TryGetValue<string>(out var r) ? r : "user";
            var content = ReadContent(message["content"], out error);
            if (content is null)
            {
                return null;
            }

            tokens += 4 + (content.Length > 0 ? DeterministicModel.CountTokens(content) : 0);
            transcript.Append(role).Append(':').Append(content).Append('\n');
            if (ids is not null)
            {
                PromptTokenIds.AppendMessageStart(ids, role);
                if (content.Length > 0)
                {
                    PromptTokenIds.AppendText(ids, content);
                }

                PromptTokenIds.AppendMessageEnd(ids);
            }
        }

        if (ids is { Count: 0 })
        {
            PromptTokenIds.AppendEmptyChat(ids);
        }

        error = null;
        return new PromptInput(transcript.ToString(), Math.Max(1, tokens), ids?.ToArray());
    }

    private static PromptInput? ParseSinglePrompt(JsonNode node, bool withTokenIds, out GatewayResponse? error)
    {
        error = null;
        if (node is JsonValue value && value.TryGetValue<string>(out var text))
        {
            return new PromptInput(text, DeterministicModel.CountTokens(text), withTokenIds ? PromptTokenIds.OfText(text) : null);
        }

        if (node is JsonArray parts)
        {
            if (parts.Count == 0)
            {
                error = ErrorResponses.ServerError(ErrorResponses.EmptyPrompt);
                return null;
            }

            var canonical = new StringBuilder("tokens:");
            var ids = withTokenIds ? new List<ulong>() : null;
            var tokens = 0;
            foreach (var part in parts)
            {
                if (part is JsonValue partValue && partValue.TryGetValue<string>(out var partText))
                {
                    canonical.Append(" \"").Append(partText).Append('"');
                    tokens += DeterministicModel.CountTokens(partText);
                    if (ids is not null)
                    {
                        PromptTokenIds.AppendText(ids, partText);
                    }
                }
                else if (part is JsonValue number && number.GetValueKind() == JsonValueKind.Number)
                {
                    var numberText = number.ToJsonString();
                    canonical.Append(' ').Append(numberText);
                    tokens++;
                    if (ids is not null)
                    {
                        PromptTokenIds.AppendTokenNumber(ids, numberText);
                    }
                }
                else
                {
                    error = ErrorResponses.ServerError(ErrorResponses.InvalidPrompt);
                    return null;
                }
            }

            return new PromptInput(canonical.ToString(), tokens, ids?.ToArray());
        }

        error = ErrorResponses.ServerError(ErrorResponses.InvalidPrompt);
        return null;
    }

    /// <summary>Reads a message's content: a string, an array of parts with <c>text</c>, or nothing.</summary>
    private static string? ReadContent(JsonNode? content, out GatewayResponse? error)
    {
        error = null;
        switch (content)
        {
            case null:
                return string.Empty;
            case JsonValue value when value.TryGetValue<string>(out var text):
                return text;
            case JsonArray parts:
                var builder = new StringBuilder();
                foreach (var part in parts)
                {
                    if (part is not JsonObject partObject)
                    {
                        error = ErrorResponses.InvalidRequest("Invalid 'content' type");
                        return null;
                    }

                    if (partObject["text"] is JsonValue textValue && textValue.TryGetValue<string>(out var partText))
                    {
                        if (builder.Length > 0)
                        {
                            builder.Append('\n');
                        }

                        builder.Append(partText);
                    }
                }

                return builder.ToString();
            default:
                error = ErrorResponses.InvalidRequest("Invalid 'content' type");
                return null;
        }
    }
}
