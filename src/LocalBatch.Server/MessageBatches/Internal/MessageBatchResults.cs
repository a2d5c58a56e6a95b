using System.Buffers;
using System.Text.Json;
using LocalBatch.Batches;
using LocalBatch.Server.Internal;
using Microsoft.AspNetCore.Http;

namespace LocalBatch.Server.MessageBatches.Internal;

/// <summary>
/// Streams an ended message batch's results as JSONL, one line per request, in Anthropic's shape:
/// <c>{"custom_id", "result": {"type": "succeeded", "message": …}}</c> for each answer of its output file (the gateway's
/// <c>/v1/messages</c> answer as it came), then for each line of its error file <c>{"type": "canceled"}</c>,
/// <c>{"type": "expired"}</c> (requests that never ran) or <c>{"type": "errored", "error": {"type": "error", "error":
/// {"type", "message"}}}</c> (the gateway's refusal with its error type taken from its status, or why there was no answer).
/// </summary>
internal sealed class MessageBatchResults(BatchJobManager batches, string batchId) : IResult
{
    /// <summary>The error code of a request that never ran because its batch was cancelled.</summary>
    public const string CancelledCode = "batch_cancelled";

    /// <summary>The error code of a request that never ran because its batch expired.</summary>
    public const string ExpiredCode = "batch_expired";

    private const int FlushBytes = 64 * 1024;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var cancellationToken = httpContext.RequestAborted;
        httpContext.Response.ContentType = "application/jsonl";
        var buffer = new ArrayBufferWriter<byte>(FlushBytes);
        foreach (var lines in new[] { batches.GetResultsAsync(batchId, cancellationToken), batches.GetErrorsAsync(batchId, cancellationToken) })
        {
            await foreach (var line in lines.ConfigureAwait(false))
            {
                Write(buffer, line);
                if (buffer.WrittenCount >= FlushBytes)
                {
                    await httpContext.Response.Body.WriteAsync(buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
                    buffer.ResetWrittenCount();
                }
            }
        }

        await httpContext.Response.Body.WriteAsync(buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes one request's result line.</summary>
    public static void Write(IBufferWriter<byte> output, BatchResultLine line)
    {
        using (var writer = new Utf8JsonWriter(output))
        {
            writer.WriteStartObject();
            writer.WriteString("custom_id", line.CustomId);
            writer.WriteStartObject("result");
            if (line.IsSuccess)
            {
                writer.WriteString("type", "succeeded");
                writer.WritePropertyName("message");
                line.Response!.Body.WriteTo(writer);
            }
            else if (line.Error?.Code is CancelledCode or ExpiredCode)
            {
                writer.WriteString("type", line.Error.Code == CancelledCode ? "canceled" : "expired");
            }
            else
            {
                writer.WriteString("type", "errored");
                writer.WritePropertyName("error");
                JsonSerializer.Serialize(writer, ErrorOf(line), ServerJsonContext.Default.AnthropicErrorResponse);
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        output.Write("\n"u8);
    }

    /// <summary>
    /// The error of a request without a message: the gateway's answer (its message, its status as Anthropic's error type)
    /// or, when none came, why (a timeout, else an <c>api_error</c>).
    /// </summary>
    private static AnthropicErrorResponse ErrorOf(BatchResultLine line)
    {
        if (line.Response is { } response)
        {
            var message = MessageOf(response.Body) ?? $"The gateway answered {response.StatusCode}.";
            return new AnthropicErrorResponse(new AnthropicErrorBody(AnthropicErrorResponse.TypeOf(response.StatusCode), message), response.RequestId);
        }

        var error = line.Error;
        var type = error?.Code == "timeout" ? "timeout_error" : "api_error";
        return new AnthropicErrorResponse(new AnthropicErrorBody(type, error?.Message ?? "The request got no answer."));
    }

    /// <summary>The message of a gateway's error body, <c>{"error": {"message"}}</c> (llama-server's, OpenAI's or Anthropic's).</summary>
    private static string? MessageOf(JsonElement body) =>
        body.ValueKind == JsonValueKind.Object
        && body.TryGetProperty("error", out var error)
        && error.ValueKind == JsonValueKind.Object
        && error.TryGetProperty("message", out var message)
        && message.ValueKind == JsonValueKind.String
            ? message.GetString()
            : null;
}
