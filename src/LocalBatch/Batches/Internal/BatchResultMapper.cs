using LocalBatch.Gateway.Internal;

namespace LocalBatch.Batches.Internal;

/// <summary>Turns each request's outcome into its line of the output or error file, in OpenAI's format.</summary>
internal static class BatchResultMapper
{
    /// <summary>
    /// The line for a request that got an answer (its status and body, 2xx or not) or none (a code and message:
    /// <c>server_unreachable</c>, <c>timeout</c>, <c>invalid_response</c> or <c>request_failed</c>).
    /// </summary>
    public static BatchResultLine ToResultLine(string customId, BatchItemResult<GatewayResponse> result)
    {
        if (result.Value is { } response)
        {
            return new BatchResultLine(NewLineId(), customId, new BatchResponse(response.StatusCode, response.RequestId ?? NewRequestId(), response.Body), null);
        }

        var error = result.Error!;
        var code = error.Kind switch
        {
            GatewayErrorKind.Unreachable => "server_unreachable",
            GatewayErrorKind.Timeout => "timeout",
            GatewayErrorKind.InvalidResponse => "invalid_response",
            _ => "request_failed",
        };
        return new BatchResultLine(NewLineId(), customId, null, new BatchLineError(code, error.Message));
    }

    /// <summary>The line for a request that never ran because the batch was cancelled or expired first.</summary>
    public static BatchResultLine Unrun(string customId, BatchStopReason reason) => reason is BatchStopReason.Cancel
        ? new BatchResultLine(NewLineId(), customId, null, new BatchLineError("batch_cancelled", "The batch was cancelled before this request ran."))
        : new BatchResultLine(NewLineId(), customId, null, new BatchLineError("batch_expired", "The batch's completion window ended before this request ran."));

    /// <summary>
    /// The error of a final non-2xx answer, classified as the client classifies a failure: a status worth retrying
    /// (whose retries ran out) is a server error, anything else a request error.
    /// </summary>
    public static BatchItemError? ErrorOf(GatewayResponse response)
    {
        if (response.IsSuccess)
        {
            return null;
        }

        var (type, message) = LocalGatewayException.ReadErrorBody(response.Body);
        var kind = GatewayErrorClassifier.IsTransientStatus(response.StatusCode, message) ? GatewayErrorKind.Server : GatewayErrorKind.Request;
        return new BatchItemError(kind, response.StatusCode, type, message ?? $"The server answered {response.StatusCode}.");
    }

    private static string NewLineId() => "batch_req_" + Guid.NewGuid().ToString("N");

    private static string NewRequestId() => "req_" + Guid.NewGuid().ToString("N");
}
