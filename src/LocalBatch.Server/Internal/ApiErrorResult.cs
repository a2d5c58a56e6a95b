using LocalBatch.Server.MessageBatches.Internal;
using Microsoft.AspNetCore.Http;

namespace LocalBatch.Server.Internal;

/// <summary>
/// Writes an <see cref="ApiError"/> in the shape of the API its request was for: Anthropic's on the Message Batches
/// routes (its error type taken from the status), OpenAI's everywhere else. Decided when it is written, from the
/// request's path, so that every error (a handler's, the key check's, Kestrel's, an unexpected one) takes its route's shape.
/// </summary>
internal sealed class ApiErrorResult(ApiError error) : IResult
{
    public Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var result = MessageBatchEndpoints.Serves(httpContext.Request.Path)
            ? Results.Json(
                new AnthropicErrorResponse(new AnthropicErrorBody(AnthropicErrorResponse.TypeOf(error.StatusCode), error.Message)),
                ServerJsonContext.Default.AnthropicErrorResponse,
                statusCode: error.StatusCode)
            : Results.Json(new ApiErrorResponse(new ApiErrorBody(error.Message, error.Type, error.Param, error.Code)), ServerJsonContext.Default.ApiErrorResponse, statusCode: error.StatusCode);
        return result.ExecuteAsync(httpContext);
    }
}
