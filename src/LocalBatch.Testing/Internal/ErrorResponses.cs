using System.Globalization;
using System.Text.Json;

namespace LocalBatch.Testing.Internal;

/// <summary>
/// The error answers of llama-server, with their exact status codes, types, messages and key order
/// (as captured from a real llama-server, build b9596).
/// </summary>
internal static class ErrorResponses
{
    public const string MissingPrompt = "[json.exception.out_of_range.403] key 'prompt' not found";
    public const string MissingMessages = "'messages' is required";
    public const string MessagesNotArray = "Expected 'messages' to be an array";
    public const string MissingInput = "\"input\" or \"content\" must be provided";
    public const string MissingResponseInput = "'input' is required";
    public const string EmptyPrompt = "\"prompt\" must not be empty";
    public const string InvalidPrompt = "\"prompt\" must be a string, a list of tokens, a list of mixed strings & tokens, or a list of prompts";
    public const string EmbeddingsNotSupported = "This server does not support embeddings. Start it with `--embeddings`";

    public static GatewayResponse Loading() => CodeLast(503, "Loading model", "unavailable_error");

    public static GatewayResponse NotFound() => CodeLast(404, "File Not Found", "not_found_error");

    public static GatewayResponse InvalidApiKey() => CodeLast(401, "Invalid API Key", "authentication_error");

    public static GatewayResponse InvalidRequest(string message) => CodeFirst(400, message, "invalid_request_error");

    public static GatewayResponse ServerError(string message) => CodeFirst(500, message, "server_error");

    public static GatewayResponse NotSupported(string message) => CodeFirst(501, message, "not_supported_error");

    public static GatewayResponse InternalServerError() => ServerError("Internal server error");

    public static GatewayResponse TooManyRequests(long retryAfterSeconds) =>
        CodeFirst(429, "Too many requests", "rate_limit_error") with { RetryAfterSeconds = retryAfterSeconds };

    public static GatewayResponse EmptyBody() =>
        ServerError("[json.exception.parse_error.101] parse error at line 1, column 1: attempting to parse an empty input; check that your input is not empty");

    public static GatewayResponse ParseError(JsonException exception)
    {
        var line = (exception.LineNumber ?? 0) + 1;
        var column = (exception.BytePositionInLine ?? 0) + 1;
        return ServerError(string.Create(
            CultureInfo.InvariantCulture,
            $"[json.exception.parse_error.101] parse error at line {line}, column {column}: syntax error while parsing value - invalid literal"));
    }

    public static GatewayResponse InputTooLarge(int tokens, int batchSize) =>
        ServerError(string.Create(
            CultureInfo.InvariantCulture,
            $"input ({tokens} tokens) is too large to process. increase the physical batch size (current batch size: {batchSize})"));

    public static GatewayResponse ExceedContextSize(int promptTokens, int contextSize)
    {
        var message = string.Create(
            CultureInfo.InvariantCulture,
            $"request ({promptTokens} tokens) exceeds the available context size ({contextSize} tokens), try increasing it");
        var body = JsonBuffer.Write((message, promptTokens, contextSize), static (w, s) =>
        {
            w.WriteStartObject();
            w.WriteStartObject("error");
            w.WriteNumber("code", 400);
            w.WriteString("message", s.message);
            w.WriteString("type", "exceed_context_size_error");
            w.WriteNumber("n_prompt_tokens", s.promptTokens);
            w.WriteNumber("n_ctx", s.contextSize);
            w.WriteEndObject();
            w.WriteEndObject();
        });
        return new GatewayResponse(400, body);
    }

    // {"error":{"code":…,"message":…,"type":…}}: the order of request errors.
    private static GatewayResponse CodeFirst(int code, string message, string type) =>
        new(code, JsonBuffer.Write((code, message, type), static (w, s) =>
        {
            w.WriteStartObject();
            w.WriteStartObject("error");
            w.WriteNumber("code", s.code);
            w.WriteString("message", s.message);
            w.WriteString("type", s.type);
            w.WriteEndObject();
            w.WriteEndObject();
        }));

    // {"error":{"message":…,"type":…,"code":…}}: the order of errors from the HTTP middleware.
    private static GatewayResponse CodeLast(int code, string message, string type) =>
        new(code, JsonBuffer.Write((code, message, type), static (w, s) =>
        {
            w.WriteStartObject();
            w.WriteStartObject("error");
            w.WriteString("message", s.message);
            w.WriteString("type", s.type);
            w.WriteNumber("code", s.code);
            w.WriteEndObject();
            w.WriteEndObject();
        }));
}
