namespace LocalBatch.Testing.Internal;

/// <summary>
/// Builds the answers of <c>/v1/responses</c> (OpenAI's Response object) and <c>/v1/messages</c> (Anthropic's Message)
/// in llama-server's shapes and key order (b9596): one output message of the generated text, <c>usage</c> in each
/// API's own names. A generation stops at its token limit, as the simulated model always does.
/// </summary>
internal static class ResponseObjectBuilder
{
    /// <summary>
    /// <c>{"completed_at", "created_at", "id": "resp_…", "model", "object": "response", "output": [message], "status",
    /// "usage": {"input_tokens", "output_tokens", "total_tokens", "input_tokens_details": {"cached_tokens"}}}</c>.
    /// </summary>
    public static GatewayResponse Response(GenerationResult result) =>
        new(200, JsonBuffer.Write(result, static (w, r) =>
        {
            w.WriteStartObject();
            w.WriteNumber("completed_at", r.Created);
            w.WriteNumber("created_at", r.Created);
            w.WriteString("id", ResponseBuilder.NewId("resp_"));
            w.WriteString("model", r.Model);
            w.WriteString("object", "response");
            w.WriteStartArray("output");
            w.WriteStartObject();
            w.WriteStartArray("content");
            w.WriteStartObject();
            w.WriteString("type", "output_text");
            w.WriteStartArray("annotations");
            w.WriteEndArray();
            w.WriteStartArray("logprobs");
            w.WriteEndArray();
            w.WriteString("text", string.Join(' ', r.Choices[0]));
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteString("id", ResponseBuilder.NewId("msg_"));
            w.WriteString("role", "assistant");
            w.WriteString("status", "completed");
            w.WriteString("type", "message");
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteString("status", "completed");
            w.WriteStartObject("usage");
            w.WriteNumber("input_tokens", r.PromptTokens);
            w.WriteNumber("output_tokens", r.CompletionTokens);
            w.WriteNumber("total_tokens", r.PromptTokens + r.CompletionTokens);
            w.WriteStartObject("input_tokens_details");
            w.WriteNumber("cached_tokens", r.CachedTokens);
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
        }));

    /// <summary>
    /// <c>{"id": "chatcmpl-…", "type": "message", "role": "assistant", "content": [{"type": "text", "text"}], "model",
    /// "stop_reason": "max_tokens", "stop_sequence": null, "usage": {"cache_read_input_tokens", "input_tokens",
    /// "output_tokens"}}</c>, where <c>input_tokens</c> counts only the prompt tokens not read from the cache.
    /// </summary>
    public static GatewayResponse Message(GenerationResult result) =>
        new(200, JsonBuffer.Write(result, static (w, r) =>
        {
            w.WriteStartObject();
            w.WriteString("id", r.Id);
            w.WriteString("type", "message");
            w.WriteString("role", "assistant");
            w.WriteStartArray("content");
            w.WriteStartObject();
            w.WriteString("type", "text");
            w.WriteString("text", string.Join(' ', r.Choices[0]));
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteString("model", r.Model);
            w.WriteString("stop_reason", "max_tokens");
            w.WriteNull("stop_sequence");
            w.WriteStartObject("usage");
            w.WriteNumber("cache_read_input_tokens", r.CachedTokens);
            w.WriteNumber("input_tokens", r.PromptTokens - r.CachedTokens);
            w.WriteNumber("output_tokens", r.CompletionTokens);
            w.WriteEndObject();
            w.WriteEndObject();
        }));
}
