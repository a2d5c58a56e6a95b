using System.Text.Json.Serialization;

namespace LocalBatch.Batches;

/// <summary>
/// Why an unfinished batch makes no progress now, in <see cref="BatchJob.Waiting"/> (<c>"waiting"</c>, a field of
/// LocalBatch's beside OpenAI's, which clients that do not know it ignore).
/// </summary>
/// <param name="Code">
/// What it waits for: <c>gateway_unreachable</c> (the server does not answer, or its run stopped because it stopped
/// answering), <c>gateway_loading</c> (the server answers 503 while it loads its model), <c>gateway_failing</c> (the
/// server answers 5xx to every request), or <c>gateway_key_refused</c> (the server refused the API key; its run stopped).
/// </param>
/// <param name="Message">What happened and what comes next, for a person.</param>
/// <param name="Since">When it started waiting, in Unix seconds.</param>
public sealed record BatchWaiting(
    [property: JsonPropertyName("code")] string Code,
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("since")] long Since);
