using System.Diagnostics;
using LocalBatch.Gateway.Internal;

namespace LocalBatch.Internal;

/// <summary>Names and spans of OpenTelemetry's GenAI semantic conventions, as LocalBatch reports them.</summary>
internal static class GenAiTelemetry
{
    /// <summary>The <c>gen_ai.provider.name</c> of every operation.</summary>
    public const string ProviderName = "llama.cpp";

    /// <summary>Histogram buckets the conventions advise for operation durations, in seconds.</summary>
    public static readonly IReadOnlyList<double> DurationBuckets = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];

    /// <summary>Histogram buckets the conventions advise for token counts.</summary>
    public static readonly IReadOnlyList<long> TokenBuckets = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];

    /// <summary>The <c>gen_ai.operation.name</c> of a path, or <see langword="null"/> for a path that generates nothing.</summary>
    public static string? OperationOf(string path) => path switch
    {
        "/v1/chat/completions" or "/v1/responses" or "/v1/messages" => "chat",
        "/v1/completions" => "text_completion",
        "/v1/embeddings" => "embeddings",
        _ => null,
    };

    /// <summary>A client span named as the conventions say: <c>{operation} {model}</c>.</summary>
    public static Activity? StartClientActivity(string operation, string? model)
    {
        var activity = LocalBatchMetrics.ActivitySource.StartActivity(model is null ? operation : $"{operation} {model}", ActivityKind.Client);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("gen_ai.operation.name", operation);
            activity.SetTag("gen_ai.provider.name", ProviderName);
            if (model is not null)
            {
                activity.SetTag("gen_ai.request.model", model);
            }
        }

        return activity;
    }

    public static void CompleteClientActivity(Activity activity, string? responseModel, ServerEndpoint? server, Usage? usage, string? errorType)
    {
        if (activity.IsAllDataRequested)
        {
            if (server is not null)
            {
                activity.SetTag("server.address", server.Host);
                activity.SetTag("server.port", server.Port);
            }

            if (responseModel is not null)
            {
                activity.SetTag("gen_ai.response.model", responseModel);
            }

            if (usage is not null)
            {
                activity.SetTag("gen_ai.usage.input_tokens", usage.PromptTokens);
                activity.SetTag("gen_ai.usage.output_tokens", usage.CompletionTokens);
            }

            if (errorType is not null)
            {
                activity.SetTag("error.type", errorType);
                activity.SetStatus(ActivityStatusCode.Error);
            }
        }

        activity.Dispose();
    }
}
