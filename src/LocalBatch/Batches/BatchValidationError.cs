using System.Text.Json.Serialization;

namespace LocalBatch.Batches;

/// <summary>One problem found in a batch's input file.</summary>
/// <param name="Code">A machine-readable code, such as <c>invalid_json_line</c> or <c>duplicate_custom_id</c>.</param>
/// <param name="Message">What is wrong, for a person.</param>
/// <param name="Param">The field at fault, such as <c>custom_id</c> or <c>url</c>, when there is one.</param>
/// <param name="Line">The 1-based line number, when the problem is on a line.</param>
public sealed record BatchValidationError(
    [property: JsonPropertyName("code")] string Code,
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("param"), JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Param,
    [property: JsonPropertyName("line"), JsonIgnore(Condition = JsonIgnoreCondition.Never)] int? Line)
{
    /// <inheritdoc/>
    public override string ToString() => Line is { } line ? $"line {line}: {Code}: {Message}" : $"{Code}: {Message}";
}
