using System.Text.Json.Serialization;

namespace LocalBatch.Batches;

/// <summary>
/// One line of a batch's output or error file:
/// <c>{"id": "batch_req_…", "custom_id", "response": {"status_code", "request_id", "body"}, "error": null}</c>.
/// </summary>
/// <param name="Id">The line's id, <c>batch_req_…</c>.</param>
/// <param name="CustomId">The <c>custom_id</c> of the input line.</param>
/// <param name="Response">The server's answer, or <see langword="null"/> when it never answered.</param>
/// <param name="Error">Why there is no answer, or <see langword="null"/> when the server answered.</param>
public sealed record BatchResultLine(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("custom_id")] string CustomId,
    [property: JsonPropertyName("response"), JsonIgnore(Condition = JsonIgnoreCondition.Never)] BatchResponse? Response,
    [property: JsonPropertyName("error"), JsonIgnore(Condition = JsonIgnoreCondition.Never)] BatchLineError? Error);
