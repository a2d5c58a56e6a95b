using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Text;
using System.Text.Json;
using LocalBatch.Gateway.Internal;
using LocalBatch.Internal;
using LocalBatch.Processing.Internal;

namespace LocalBatch.Batches.Internal;

/// <summary>
/// Sends a batch file's embedding lines as array calls: consecutive lines whose bodies differ only in <c>input</c> go
/// together as one <c>/v1/embeddings</c> call (up to <see cref="LocalBatchOptions.MaxEmbeddingInputsPerRequest"/> inputs
/// and <see cref="MaxChunkChars"/> characters), which a server embeds faster than one call a line; the answer is split
/// back into one body per line, as the line's own call would have been answered: its vectors indexed from 0, and its
/// share of the usage. A chunk the server refuses is sent again in halves under <see cref="EmbeddingSplit"/>'s rule, down
/// to single lines, which get their own answers.
/// </summary>
internal static class EmbeddingLineCoalescer
{
    /// <summary>The most characters of input one coalesced call carries.</summary>
    public const int MaxChunkChars = 64 * 1024;

    /// <summary>Groups consecutive lines that can share a call.</summary>
    public static async IAsyncEnumerable<IReadOnlyList<BatchInputLine>> ChunkAsync(
        IAsyncEnumerable<BatchInputLine> lines,
        int maxInputs,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var chunk = new List<BatchInputLine>();
        string? shape = null;
        int inputs = 0, chars = 0;
        await foreach (var line in lines.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            var (lineShape, lineInputs, lineChars) = Describe(line.Body);
            if (chunk.Count > 0 && (lineShape is null || lineShape != shape || inputs + lineInputs > maxInputs || chars + lineChars > MaxChunkChars))
            {
                yield return chunk;
                chunk = [];
                inputs = chars = 0;
            }

            chunk.Add(line);
            shape = lineShape;
            inputs += lineInputs;
            chars += lineChars;
            if (lineShape is null)
            {
                // Not a plain text input (token ids, say): it goes alone, as it is.
                yield return chunk;
                chunk = [];
                inputs = chars = 0;
            }
        }

        if (chunk.Count > 0)
        {
            yield return chunk;
        }
    }

    /// <summary>
    /// Sends one chunk and answers each of its lines: one call, sent again in halves down to single lines (each its own
    /// body, as it is) when <see cref="EmbeddingSplit"/>'s rule says the refusal may be one line's, or when the answer
    /// cannot be shared out among the lines; a refusal outside the rule is every line's answer. What happened is
    /// returned, attempts counted over every call it took; no usable answer at all (the server unreachable, say) is the
    /// returned failure, every line's.
    /// </summary>
    public static async Task<Sent<GatewayResponse[]>> SendAsync(LocalGatewayClient client, IReadOnlyList<BatchInputLine> chunk, ServerEndpoint? preferred, CancellationToken cancellationToken)
    {
        var attempts = 0;
        ServerEndpoint? server = null;
        var answers = new List<GatewayResponse>(chunk.Count);
        try
        {
            await foreach (var (_, _, lines) in EmbeddingSplit.SendAsync(0, chunk.Count, SendLinesAsync, client.Logger, cancellationToken).ConfigureAwait(false))
            {
                answers.AddRange(lines);
            }
        }
        catch (LocalGatewayException ex)
        {
            return new Sent<GatewayResponse[]>(null, ExceptionDispatchInfo.Capture(ex), server, attempts);
        }

        return new Sent<GatewayResponse[]>([.. answers], null, server, attempts);

        async Task<GatewayResponse> SendOneAsync(JsonElement body, CancellationToken token)
        {
            var sent = await client.SendRawAsync("/v1/embeddings", body, preferred, token).ConfigureAwait(false);
            attempts += sent.Attempts;
            server = sent.Server ?? server;
            return sent.GetValueOrThrow();
        }

        async Task<EmbeddingSplit.Reply<GatewayResponse[]>> SendLinesAsync(int start, int count, CancellationToken token)
        {
            if (count == 1)
            {
                var own = await SendOneAsync(chunk[start].Body, token).ConfigureAwait(false);
                return own.IsSuccess ? EmbeddingSplit.Answered<GatewayResponse[]>([own]) : RefusedFor(own, [own]);
            }

            var lines = new ListSegment<BatchInputLine>(chunk, start, count);
            var answer = await SendOneAsync(Combine(lines), token).ConfigureAwait(false);
            if (!answer.IsSuccess)
            {
                // Should the refusal stand (a fault that outlasted the retries, a refused key), it is every line's
                // answer, as its own call's would have been.
                return RefusedFor(answer, [.. lines.Select(_ => answer with { RequestId = null })]);
            }

            return Split(answer, lines) is { } bodies ? EmbeddingSplit.Answered(bodies) : EmbeddingSplit.Unfit<GatewayResponse[]>([]);
        }

        static EmbeddingSplit.Reply<GatewayResponse[]> RefusedFor(GatewayResponse refusal, GatewayResponse[] answers) =>
            EmbeddingSplit.Refused(answers, refusal.StatusCode, LocalGatewayException.ReadErrorBody(refusal.Body).Message);
    }

    /// <summary>What makes two lines' bodies fit one call (everything but <c>input</c>), their inputs and characters; no shape for an input that is not text.</summary>
    private static (string? Shape, int Inputs, int Chars) Describe(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty("input", out var input))
        {
            return (null, 1, 0);
        }

        int inputs, chars = 0;
        switch (input.ValueKind)
        {
            case JsonValueKind.String:
                inputs = 1;
                chars = input.GetString()!.Length;
                break;
            case JsonValueKind.Array when input.GetArrayLength() > 0 && input.EnumerateArray().All(static item => item.ValueKind == JsonValueKind.String):
                inputs = input.GetArrayLength();
                foreach (var item in input.EnumerateArray())
                {
                    chars += item.GetString()!.Length;
                }

                break;
            default:
                return (null, 1, 0);
        }

        var shape = new StringBuilder();
        foreach (var property in body.EnumerateObject())
        {
            if (property.Name != "input")
            {
                shape.Append(property.Name).Append('\u001f').Append(property.Value.GetRawText()).Append('\u001e');
            }
        }

        return (shape.ToString(), inputs, chars);
    }

    /// <summary>The first line's body with every line's inputs, in order, as one array.</summary>
    private static JsonElement Combine(IReadOnlyList<BatchInputLine> chunk)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var property in chunk[0].Body.EnumerateObject())
            {
                if (property.Name != "input")
                {
                    property.WriteTo(writer);
                }
            }

            writer.WriteStartArray("input");
            foreach (var line in chunk)
            {
                foreach (var text in Inputs(line.Body))
                {
                    writer.WriteStringValue(text);
                }
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        using var document = JsonDocument.Parse(buffer.WrittenMemory);
        return document.RootElement.Clone();
    }

    /// <summary>
    /// One body per line: the answer's fields in its own order, its <c>data</c> cut to the line's inputs (indexed from 0)
    /// and its <c>usage</c> shared by the lines in proportion to their inputs' length; null when the answer does not
    /// have one vector per input, indexed in order.
    /// </summary>
    private static GatewayResponse[]? Split(GatewayResponse answer, IReadOnlyList<BatchInputLine> chunk)
    {
        var body = answer.Body;
        var counts = chunk.Select(line => Inputs(line.Body).Count()).ToArray();
        if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array
            || data.GetArrayLength() != counts.Sum() || data.EnumerateArray().Select(IndexOf).Where((index, i) => index != i).Any())
        {
            return null;
        }

        var weights = chunk.Select(line => (long)Inputs(line.Body).Sum(static text => Encoding.UTF8.GetByteCount(text))).ToArray();
        var usage = body.TryGetProperty("usage", out var used) && used.ValueKind == JsonValueKind.Object ? used : default;
        var vectors = data.EnumerateArray().ToArray();
        var results = new GatewayResponse[chunk.Count];
        var start = 0;
        for (var i = 0; i < chunk.Count; i++)
        {
            results[i] = new GatewayResponse(answer.StatusCode, LineBody(body, vectors.AsSpan(start, counts[i]), usage, weights, i), null);
            start += counts[i];
        }

        return results;
    }

    private static JsonElement LineBody(JsonElement answer, ReadOnlySpan<JsonElement> vectors, JsonElement usage, long[] weights, int line)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var property in answer.EnumerateObject())
            {
                if (property.Name == "data")
                {
                    writer.WriteStartArray("data");
                    for (var i = 0; i < vectors.Length; i++)
                    {
                        WriteVector(writer, vectors[i], i);
                    }

                    writer.WriteEndArray();
                }
                else if (property.Name == "usage" && usage.ValueKind == JsonValueKind.Object)
                {
                    writer.WriteStartObject("usage");
                    foreach (var count in usage.EnumerateObject())
                    {
                        if (count.Value.ValueKind == JsonValueKind.Number && count.Value.TryGetInt64(out var total))
                        {
                            writer.WriteNumber(count.Name, Share(total, weights, line));
                        }
                        else
                        {
                            count.WriteTo(writer);
                        }
                    }

                    writer.WriteEndObject();
                }
                else
                {
                    property.WriteTo(writer);
                }
            }

            writer.WriteEndObject();
        }

        using var document = JsonDocument.Parse(buffer.WrittenMemory);
        return document.RootElement.Clone();
    }

    /// <summary>A vector with its index renumbered within its line, its other fields as the server wrote them.</summary>
    private static void WriteVector(Utf8JsonWriter writer, JsonElement vector, int index)
    {
        writer.WriteStartObject();
        foreach (var property in vector.EnumerateObject())
        {
            if (property.Name == "index")
            {
                writer.WriteNumber("index", index);
            }
            else
            {
                property.WriteTo(writer);
            }
        }

        writer.WriteEndObject();
    }

    /// <summary>
    /// A line's share of a count, in proportion to its weight; the shares add up to the count (the largest remainders
    /// get the units that rounding down leaves over, the earlier line first among equals).
    /// </summary>
    private static long Share(long total, long[] weights, int line)
    {
        var sum = weights.Sum();
        if (sum == 0)
        {
            return line == 0 ? total : 0;
        }

        var floors = weights.Select(weight => total * weight / sum).ToArray();
        var leftOver = total - floors.Sum();
        var byRemainder = Enumerable.Range(0, weights.Length)
            .OrderByDescending(i => (total * weights[i]) % sum)
            .ThenBy(i => i)
            .Take((int)leftOver);
        return floors[line] + (byRemainder.Contains(line) ? 1 : 0);
    }

    private static int IndexOf(JsonElement vector) =>
        vector.ValueKind == JsonValueKind.Object && vector.TryGetProperty("index", out var index) && index.TryGetInt32(out var value) ? value : -1;

    private static IEnumerable<string> Inputs(JsonElement body)
    {
        var input = body.GetProperty("input");
        if (input.ValueKind == JsonValueKind.String)
        {
            yield return input.GetString()!;
            yield break;
        }

        foreach (var item in input.EnumerateArray())
        {
            yield return item.GetString()!;
        }
    }
}
