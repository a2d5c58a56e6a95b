namespace LocalBatch.Gateway.Internal;

/// <summary>Decides which answers of a llama.cpp server are worth another try.</summary>
internal static class GatewayErrorClassifier
{
    /// <summary>
    /// Texts of llama.cpp's 500 answers that are permanent for the request that got them: the same request
    /// will fail the same way however often it is sent.
    /// </summary>
    private static readonly string[] PermanentServerErrors =
    [
        "too large to process",   // an embedding input larger than the physical batch
        "json.exception",         // a body that is not JSON, or has the wrong shape
        "must not be empty",      // an empty embeddings input
    ];

    /// <summary>Returns <see langword="true"/> for 408, 429, 500, 502, 503 and 504, except llama.cpp's permanent 500s.</summary>
    public static bool IsTransientStatus(int status, string? serverMessage) => status switch
    {
        500 => !IsPermanentServerError(serverMessage),
        408 or 429 or 502 or 503 or 504 => true,
        _ => false,
    };

    /// <summary>Returns <see langword="true"/> when a 500's message marks an input the server can never process.</summary>
    public static bool IsPermanentServerError(string? serverMessage) =>
        serverMessage is not null && PermanentServerErrors.Any(text => serverMessage.Contains(text, StringComparison.OrdinalIgnoreCase));
}
