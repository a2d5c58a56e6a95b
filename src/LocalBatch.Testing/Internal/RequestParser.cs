using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LocalBatch.Testing.Internal;

/// <summary>
/// Parses and validates request bodies, answering the errors llama-server answers for the same input.
/// </summary>
internal static class RequestParser
{
    /// <summary>Parses a request body; returns <see langword="null"/> and an error for an empty or invalid body.</summary>
    public static JsonNode? ParseBody(byte[] body, out GatewayResponse? error)
    {
        error = null;
        if (body.Length == 0)
        {
            error = ErrorResponses.EmptyBody();
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            var node = ToNode(document.RootElement.Clone());
            if (node is null)
            {
                // The literal "null" parses, but is no request.
                error = ErrorResponses.InvalidRequest("[json.exception.type_error.306] cannot use value() with null");
            }

            return node;
        }
        catch (JsonException exception)
        {
            error = ErrorResponses.ParseError(exception);
            return null;
        }
    }

    /// <summary>
    /// Converts parsed JSON to nodes; a repeated key keeps its last value, as in llama-server (nlohmann::json),
    /// where <see cref="JsonNode.Parse(ReadOnlySpan{byte}, JsonNodeOptions?, JsonDocumentOptions)"/> would fail.
    /// </summary>
    private static JsonNode? ToNode(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var obj = new JsonObject();
                foreach (var property in element.EnumerateObject())
                {
                    obj[property.Name] = ToNode(property.Value);
                }

                return obj;
            case JsonValueKind.Array:
                var array = new JsonArray();
                foreach (var item in element.EnumerateArray())
                {
                    array.Add(ToNode(item));
                }

                return array;
            default:
                return JsonValue.Create(element);
        }
    }

    public static GenerationJob? ParseCompletion(JsonNode body, SimulatedGatewayOptions options, out GatewayResponse? error)
    {
        var request = body as JsonObject;
        if (request is null || !request.TryGetPropertyValue("prompt", out var promptNode) || promptNode is null)
        {
            error = ErrorResponses.InvalidRequest(ErrorResponses.MissingPrompt);
            return null;
        }

        var prompts = PromptParser.ParsePrompts(promptNode, options.PromptCache is not null, out error);
        if (prompts is null)
        {
            return null;
        }

        return CreateJob(request, GatewayRoute.Completions, prompts, options, out error);
    }

    public static GenerationJob? ParseChat(JsonNode body, SimulatedGatewayOptions options, out GatewayResponse? error)
    {
        var request = body as JsonObject;
        if (request is null || !request.TryGetPropertyValue("messages", out var messagesNode) || messagesNode is null)
        {
            error = ErrorResponses.InvalidRequest(ErrorResponses.MissingMessages);
            return null;
        }

        if (messagesNode is not JsonArray messages)
        {
            error = ErrorResponses.InvalidRequest(ErrorResponses.MessagesNotArray);
            return null;
        }

        var transcript = PromptParser.ParseChatMessages(messages, options.PromptCache is not null, out error);
        if (transcript is not { } prompt)
        {
            return null;
        }

        return CreateJob(request, GatewayRoute.ChatCompletions, [prompt], options, out error);
    }

    /// <summary>
    /// Reads a <c>/v1/responses</c> request as llama-server does, into a chat: its <c>instructions</c> as a system
    /// message, then its <c>input</c> (a string as one user message, or an array of items with a role and content).
    /// Without <c>input</c>: 400 <c>'input' is required</c>.
    /// </summary>
    public static GenerationJob? ParseResponse(JsonNode body, SimulatedGatewayOptions options, out GatewayResponse? error)
    {
        var request = body as JsonObject;
        if (request is null || !request.TryGetPropertyValue("input", out var input) || input is null)
        {
            error = ErrorResponses.InvalidRequest(ErrorResponses.MissingResponseInput);
            return null;
        }

        var messages = new JsonArray();
        AddSystem(messages, request["instructions"]);
        if (input is JsonArray items)
        {
            foreach (var item in items)
            {
                messages.Add(item?.DeepClone());
            }
        }
        else
        {
            messages.Add(new JsonObject { ["role"] = "user", ["content"] = input.DeepClone() });
        }

        return ParseTranscript(request, GatewayRoute.Responses, messages, options, out error);
    }

    /// <summary>
    /// Reads a <c>/v1/messages</c> (Anthropic) request as llama-server does: its top-level <c>system</c> as a system
    /// message, then its <c>messages</c>. Without <c>messages</c>: llama-server's 500 <c>'messages' is required</c>.
    /// </summary>
    public static GenerationJob? ParseMessage(JsonNode body, SimulatedGatewayOptions options, out GatewayResponse? error)
    {
        var request = body as JsonObject;
        if (request is null || !request.TryGetPropertyValue("messages", out var messagesNode) || messagesNode is null)
        {
            error = ErrorResponses.ServerError(ErrorResponses.MissingMessages);
            return null;
        }

        if (messagesNode is not JsonArray given)
        {
            error = ErrorResponses.InvalidRequest(ErrorResponses.MessagesNotArray);
            return null;
        }

        var messages = new JsonArray();
        AddSystem(messages, request["system"]);
        foreach (var message in given)
        {
            messages.Add(message?.DeepClone());
        }

        return ParseTranscript(request, GatewayRoute.Messages, messages, options, out error);
    }

    private static void AddSystem(JsonArray messages, JsonNode? system)
    {
        if (system is not null)
        {
            messages.Add(new JsonObject { ["role"] = "system", ["content"] = system.DeepClone() });
        }
    }

    private static GenerationJob? ParseTranscript(JsonObject request, GatewayRoute route, JsonArray messages, SimulatedGatewayOptions options, out GatewayResponse? error)
    {
        var transcript = PromptParser.ParseChatMessages(messages, options.PromptCache is not null, out error);
        return transcript is { } prompt ? CreateJob(request, route, [prompt], options, out error) : null;
    }

    public static EmbeddingJob? ParseEmbeddings(JsonNode body, SimulatedGatewayOptions options, out GatewayResponse? error)
    {
        var request = body as JsonObject;
        JsonNode? inputNode = null;
        if (request is null
            || ((!request.TryGetPropertyValue("input", out inputNode) || inputNode is null)
                && (!request.TryGetPropertyValue("content", out inputNode) || inputNode is null)))
        {
            error = ErrorResponses.InvalidRequest(ErrorResponses.MissingInput);
            return null;
        }

        var base64 = false;
        if (request["encoding_format"] is JsonNode formatNode)
        {
            var format = formatNode is JsonValue v && v.TryGetValue<string>(out var f) ? f : null;
            if (format is not ("float" or "base64"))
            {
                error = ErrorResponses.InvalidRequest("The format to return the embeddings in. Can be either float or base64");
                return null;
            }

            base64 = format == "base64";
        }

        var inputs = PromptParser.ParsePrompts(inputNode!, withTokenIds: false, out error);
        if (inputs is null)
        {
            return null;
        }

        var sum = 0;
        foreach (var input in inputs)
        {
            if (input.Tokens > options.MaxEmbeddingTokensPerInput)
            {
                error = ErrorResponses.InputTooLarge(input.Tokens, options.MaxEmbeddingTokensPerInput);
                return null;
            }

            sum += input.Tokens;
        }

        if (options.MaxEmbeddingTokensPerRequest is { } perRequest && sum > perRequest)
        {
            error = ErrorResponses.InputTooLarge(sum, perRequest);
            return null;
        }

        error = null;
        return new EmbeddingJob { Inputs = inputs, Base64 = base64 };
    }

    private static GenerationJob? CreateJob(
        JsonObject request, GatewayRoute route, IReadOnlyList<PromptInput> prompts, SimulatedGatewayOptions options, out GatewayResponse? error)
    {
        foreach (var prompt in prompts)
        {
            if (prompt.Tokens > options.ContextSize)
            {
                error = ErrorResponses.ExceedContextSize(prompt.Tokens, options.ContextSize);
                return null;
            }
        }

        // llama-server: n_predict wins over max_tokens; OpenAI's newer name max_completion_tokens comes last (responses
        // name it max_output_tokens).
        int? maxTokens = null;
        foreach (var name in (ReadOnlySpan<string>)["n_predict", "max_tokens", "max_completion_tokens", "max_output_tokens"])
        {
            if (!TryReadInt(request, name, out var value, out error))
            {
                return null;
            }

            if (value is not null)
            {
                maxTokens = value;
                break;
            }
        }

        if (!TryReadInt(request, "n", out var n, out error))
        {
            return null;
        }

        // Responses and messages are answered unstreamed: their event streams are not simulated.
        var stream = route is GatewayRoute.Completions or GatewayRoute.ChatCompletions
            && request["stream"] is JsonValue streamValue && streamValue.TryGetValue<bool>(out var s) && s;

        // llama-server reads these with json_value: a value of the wrong type is taken as absent.
        var slotId = request["id_slot"] is JsonValue slotValue && slotValue.GetValueKind() == JsonValueKind.Number
            ? (int)Math.Clamp(Math.Truncate(slotValue.GetValue<double>()), int.MinValue, int.MaxValue)
            : -1;
        var cachePrompt = request["cache_prompt"] is not JsonValue cacheValue || !cacheValue.TryGetValue<bool>(out var c) || c;

        // Kept in the task's params, which /slots shows: llama-server keeps it for all but Anthropic's messages (measured).
        var timingsPerToken = route != GatewayRoute.Messages
            && request["timings_per_token"] is JsonValue timingsValue && timingsValue.TryGetValue<bool>(out var t) && t;
        return new GenerationJob
        {
            IsChat = route != GatewayRoute.Completions,
            Route = route,
            Prompts = prompts,
            ChoicesPerPrompt = Math.Max(1, n ?? 1),
            MaxTokens = maxTokens ?? options.DefaultMaxTokens,
            Stream = stream,
            SlotId = slotId,
            CachePrompt = cachePrompt,
            TimingsPerToken = timingsPerToken,
        };
    }

    private static bool TryReadInt(JsonObject request, string name, out int? value, out GatewayResponse? error)
    {
        value = null;
        error = null;
        if (!request.TryGetPropertyValue(name, out var node) || node is null)
        {
            return true;
        }

        if (node is JsonValue jsonValue && jsonValue.GetValueKind() == JsonValueKind.Number)
        {
            var number = jsonValue.GetValue<double>();
            value = (int)Math.Clamp(Math.Truncate(number), int.MinValue, int.MaxValue);
            return true;
        }

        error = ErrorResponses.InvalidRequest(string.Create(
            CultureInfo.InvariantCulture,
            $"[json.exception.type_error.302] type must be number, but is {KindName(node.GetValueKind())}"));
        return false;
    }

    private static string KindName(JsonValueKind kind) => kind switch
    {
        JsonValueKind.String => "string",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        _ => "null",
    };
}
