using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.Json;

namespace LocalBatch.Testing.Internal;

/// <summary>
/// Builds the success answers of the simulated gateway, in the shapes and key order of llama-server.
/// </summary>
internal static class ResponseBuilder
{
    public const string BuildInfo = "simulated";

    private const string IdAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    private static readonly byte[] s_health = "{\"status\":\"ok\"}"u8.ToArray();
    private static readonly byte[] s_dataPrefix = "data: "u8.ToArray();
    private static readonly byte[] s_eventEnd = "\n\n"u8.ToArray();

    /// <summary>Gets the frame that ends an event stream.</summary>
    public static byte[] DoneFrame { get; } = "data: [DONE]\n\n"u8.ToArray();

    public static string NewCompletionId() => NewId("chatcmpl-");

    /// <summary>An id as llama-server makes them: the prefix, then 32 random letters and digits.</summary>
    public static string NewId(string prefix) => prefix + RandomNumberGenerator.GetString(IdAlphabet, 32);

    /// <summary>Generates the answer of a job whose prompts reused <paramref name="cachedTokens"/> tokens of the slot's cache.</summary>
    public static GenerationResult Generate(GenerationJob job, SimulatedGatewayOptions options, long created, int cachedTokens)
    {
        var choices = new List<string[]>(job.Prompts.Count * job.ChoicesPerPrompt);
        var promptTokens = 0;
        var completionTokens = 0;
        foreach (var prompt in job.Prompts)
        {
            var hash = DeterministicModel.Hash(prompt.Text);
            var available = Math.Max(0, options.ContextSize - prompt.Tokens);
            var count = job.MaxTokens < 0 ? available : Math.Min(job.MaxTokens, available);
            for (var choice = 0; choice < job.ChoicesPerPrompt; choice++)
            {
                choices.Add(DeterministicModel.GenerateWords(hash, choice, count));
                promptTokens += prompt.Tokens;
                completionTokens += count;
            }
        }

        return new GenerationResult
        {
            Id = NewCompletionId(),
            Created = created,
            Model = options.ModelName,
            Choices = choices,
            PromptTokens = promptTokens,
            CachedTokens = cachedTokens,
            CompletionTokens = completionTokens,
            PromptMilliseconds = (options.Latency + (options.LatencyPerPromptToken * (promptTokens - cachedTokens))).TotalMilliseconds,
            PredictedMilliseconds = options.LatencyPerToken.TotalMilliseconds * completionTokens,
        };
    }

    public static GatewayResponse Health() => new(200, s_health);

    public static GatewayResponse Completion(GenerationResult result) =>
        new(200, JsonBuffer.Write(result, static (w, r) =>
        {
            w.WriteStartObject();
            w.WriteStartArray("choices");
            for (var i = 0; i < r.Choices.Count; i++)
            {
                w.WriteStartObject();
                w.WriteString("text", string.Join(' ', r.Choices[i]));
                w.WriteNumber("index", i);
                w.WriteNull("logprobs");
                w.WriteString("finish_reason", "length");
                w.WriteEndObject();
            }

            w.WriteEndArray();
            WriteHeader(w, r, "text_completion", idLast: true);
            WriteUsage(w, r);
            w.WriteString("id", r.Id);
            WriteTimings(w, r);
            w.WriteEndObject();
        }));

    public static GatewayResponse ChatCompletion(GenerationResult result) =>
        new(200, JsonBuffer.Write(result, static (w, r) =>
        {
            w.WriteStartObject();
            w.WriteStartArray("choices");
            for (var i = 0; i < r.Choices.Count; i++)
            {
                w.WriteStartObject();
                w.WriteString("finish_reason", "length");
                w.WriteNumber("index", i);
                w.WriteStartObject("message");
                w.WriteString("role", "assistant");
                w.WriteString("content", string.Join(' ', r.Choices[i]));
                w.WriteEndObject();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            WriteHeader(w, r, "chat.completion", idLast: true);
            WriteUsage(w, r);
            w.WriteString("id", r.Id);
            WriteTimings(w, r);
            w.WriteEndObject();
        }));

    /// <summary>
    /// Returns the server-sent events of a streamed answer, one word per chunk, each flagged when it carries a
    /// generated token; the last chunk carries <c>usage</c> and <c>timings</c>; then <c>data: [DONE]</c>.
    /// </summary>
    public static IEnumerable<(byte[] Frame, bool IsToken)> StreamFrames(GenerationResult result, bool isChat)
    {
        for (var choice = 0; choice < result.Choices.Count; choice++)
        {
            var words = result.Choices[choice];
            if (isChat)
            {
                yield return (Frame(new StreamChunk(result, choice, null, Role: true, Final: false), WriteChatChunk), false);
            }

            for (var i = 0; i < words.Length; i++)
            {
                var piece = i == 0 ? words[i] : " " + words[i];
                var chunk = new StreamChunk(result, choice, piece, Role: false, Final: false);
                yield return (Frame(chunk, isChat ? WriteChatChunk : WriteCompletionChunk), true);
            }

            var final = new StreamChunk(result, choice, null, Role: false, Final: true);
            yield return (Frame(final, isChat ? WriteChatChunk : WriteCompletionChunk), false);
        }

        yield return (DoneFrame, false);
    }

    public static GatewayResponse Embeddings(EmbeddingJob job, SimulatedGatewayOptions options) =>
        new(200, JsonBuffer.Write((job, options.ModelName, options.EmbeddingDimensions), static (w, s) =>
        {
            var (job, model, dimensions) = s;
            w.WriteStartObject();
            w.WriteString("model", model);
            w.WriteString("object", "list");
            w.WriteStartObject("usage");
            w.WriteNumber("prompt_tokens", job.PromptTokens);
            w.WriteNumber("total_tokens", job.PromptTokens);
            w.WriteEndObject();
            w.WriteStartArray("data");
            var bytes = job.Base64 ? new byte[dimensions * sizeof(float)] : null;
            for (var i = 0; i < job.Inputs.Count; i++)
            {
                var embedding = DeterministicModel.Embed(DeterministicModel.Hash(job.Inputs[i].Text), dimensions);
                w.WriteStartObject();
                if (bytes is not null)
                {
                    for (var d = 0; d < embedding.Length; d++)
                    {
                        BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(d * sizeof(float)), embedding[d]);
                    }

                    w.WriteBase64String("embedding", bytes);
                }
                else
                {
                    w.WriteStartArray("embedding");
                    foreach (var value in embedding)
                    {
                        w.WriteNumberValue(value);
                    }

                    w.WriteEndArray();
                }

                w.WriteNumber("index", i);
                w.WriteString("object", "embedding");
                if (bytes is not null)
                {
                    w.WriteString("encoding_format", "base64");
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }));

    public static GatewayResponse Props(SimulatedGatewayOptions options, int slots) =>
        new(200, JsonBuffer.Write((options, slots), static (w, s) =>
        {
            var (options, slots) = s;
            w.WriteStartObject();
            w.WriteStartObject("default_generation_settings");
            w.WriteNumber("id", 0);
            w.WriteNumber("id_task", -1);
            w.WriteNumber("n_ctx", options.ContextSize);
            w.WriteBoolean("speculative", false);
            w.WriteBoolean("is_processing", false);
            w.WriteStartObject("params");
            w.WriteNumber("n_predict", -1);
            w.WriteNumber("seed", -1);
            w.WriteNumber("temperature", 0.8);
            w.WriteNumber("top_k", 40);
            w.WriteNumber("top_p", 0.95);
            w.WriteNumber("min_p", 0.05);
            w.WriteBoolean("stream", false);
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteNumber("total_slots", slots);
            w.WriteString("model_path", options.ModelName);
            w.WriteStartObject("modalities");
            w.WriteBoolean("vision", false);
            w.WriteBoolean("audio", false);
            w.WriteEndObject();
            w.WriteString("chat_template", "{% for message in messages %}{{ message['role'] }}: {{ message['content'] }}\n{% endfor %}");
            w.WriteString("bos_token", "<s>");
            w.WriteString("eos_token", "</s>");
            w.WriteString("build_info", BuildInfo);
            w.WriteEndObject();
        }));

    public static GatewayResponse Models(SimulatedGatewayOptions options, int slots, long created) =>
        new(200, JsonBuffer.Write((options, slots, created), static (w, s) =>
        {
            var (options, slots, created) = s;
            w.WriteStartObject();
            w.WriteStartArray("models");
            w.WriteStartObject();
            w.WriteString("name", options.ModelName);
            w.WriteString("model", options.ModelName);
            w.WriteString("modified_at", string.Empty);
            w.WriteString("size", string.Empty);
            w.WriteString("digest", string.Empty);
            w.WriteString("type", "model");
            w.WriteString("description", string.Empty);
            w.WriteStartArray("tags");
            w.WriteStringValue(string.Empty);
            w.WriteEndArray();
            w.WriteStartArray("capabilities");
            w.WriteStringValue("completion");
            w.WriteEndArray();
            w.WriteString("parameters", string.Empty);
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteString("object", "list");
            w.WriteStartArray("data");
            w.WriteStartObject();
            w.WriteString("id", options.ModelName);
            w.WriteStartArray("aliases");
            w.WriteEndArray();
            w.WriteStartArray("tags");
            w.WriteEndArray();
            w.WriteString("object", "model");
            w.WriteNumber("created", created);
            w.WriteString("owned_by", "llamacpp");
            w.WriteStartObject("meta");
            w.WriteNumber("vocab_type", 1);
            w.WriteNumber("n_vocab", 32000);
            w.WriteNumber("n_ctx", (long)options.ContextSize * slots);
            w.WriteNumber("n_ctx_train", (long)options.ContextSize * slots);
            w.WriteNumber("n_embd", options.EmbeddingDimensions);
            w.WriteNumber("n_params", 0);
            w.WriteNumber("size", 0);
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
        }));

    private static byte[] Frame(StreamChunk chunk, Action<Utf8JsonWriter, StreamChunk> write)
    {
        var json = JsonBuffer.Write(chunk, write);
        var frame = new byte[s_dataPrefix.Length + json.Length + s_eventEnd.Length];
        s_dataPrefix.CopyTo(frame, 0);
        json.CopyTo(frame, s_dataPrefix.Length);
        s_eventEnd.CopyTo(frame, s_dataPrefix.Length + json.Length);
        return frame;
    }

    private static void WriteCompletionChunk(Utf8JsonWriter w, StreamChunk c)
    {
        w.WriteStartObject();
        w.WriteStartArray("choices");
        w.WriteStartObject();
        w.WriteString("text", c.Text ?? string.Empty);
        w.WriteNumber("index", c.Choice);
        w.WriteNull("logprobs");
        WriteFinishReason(w, c.Final);
        w.WriteEndObject();
        w.WriteEndArray();
        WriteHeader(w, c.Result, "text_completion", idLast: false);
        WriteChunkUsage(w, c);
        w.WriteEndObject();
    }

    private static void WriteChatChunk(Utf8JsonWriter w, StreamChunk c)
    {
        w.WriteStartObject();
        w.WriteStartArray("choices");
        w.WriteStartObject();
        WriteFinishReason(w, c.Final);
        w.WriteNumber("index", c.Choice);
        w.WriteStartObject("delta");
        if (c.Role)
        {
            w.WriteString("role", "assistant");
            w.WriteNull("content");
        }
        else if (c.Text is not null)
        {
            w.WriteString("content", c.Text);
        }

        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndArray();
        WriteHeader(w, c.Result, "chat.completion.chunk", idLast: false);
        WriteChunkUsage(w, c);
        w.WriteEndObject();
    }

    private static void WriteFinishReason(Utf8JsonWriter w, bool final)
    {
        if (final)
        {
            w.WriteString("finish_reason", "length");
        }
        else
        {
            w.WriteNull("finish_reason");
        }
    }

    private static void WriteChunkUsage(Utf8JsonWriter w, StreamChunk c)
    {
        if (c.Final && c.Choice == c.Result.Choices.Count - 1)
        {
            WriteUsage(w, c.Result);
            WriteTimings(w, c.Result);
        }
    }

    private static void WriteHeader(Utf8JsonWriter w, GenerationResult r, string objectName, bool idLast)
    {
        w.WriteNumber("created", r.Created);
        if (!idLast)
        {
            w.WriteString("id", r.Id);
        }

        w.WriteString("model", r.Model);
        w.WriteString("system_fingerprint", BuildInfo);
        w.WriteString("object", objectName);
    }

    private static void WriteUsage(Utf8JsonWriter w, GenerationResult r)
    {
        w.WriteStartObject("usage");
        w.WriteNumber("completion_tokens", r.CompletionTokens);
        w.WriteNumber("prompt_tokens", r.PromptTokens);
        w.WriteNumber("total_tokens", r.PromptTokens + r.CompletionTokens);
        w.WriteStartObject("prompt_tokens_details");
        w.WriteNumber("cached_tokens", r.CachedTokens);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void WriteTimings(Utf8JsonWriter w, GenerationResult r)
    {
        // As in llama-server, prompt_n counts the prompt tokens evaluated: those not reused from the cache.
        var evaluated = r.PromptTokens - r.CachedTokens;
        w.WriteStartObject("timings");
        w.WriteNumber("cache_n", r.CachedTokens);
        w.WriteNumber("prompt_n", evaluated);
        w.WriteNumber("prompt_ms", r.PromptMilliseconds);
        w.WriteNumber("prompt_per_token_ms", evaluated > 0 ? r.PromptMilliseconds / evaluated : 0);
        w.WriteNumber("prompt_per_second", r.PromptMilliseconds > 0 ? evaluated * 1000.0 / r.PromptMilliseconds : 0);
        w.WriteNumber("predicted_n", r.CompletionTokens);
        w.WriteNumber("predicted_ms", r.PredictedMilliseconds);
        w.WriteNumber("predicted_per_token_ms", r.CompletionTokens > 0 ? r.PredictedMilliseconds / r.CompletionTokens : 0);
        w.WriteNumber("predicted_per_second", r.PredictedMilliseconds > 0 ? r.CompletionTokens * 1000.0 / r.PredictedMilliseconds : 0);
        w.WriteEndObject();
    }
}
