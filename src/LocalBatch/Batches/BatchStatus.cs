using System.Text.Json.Serialization;

namespace LocalBatch.Batches;

/// <summary>Where a batch is in OpenAI's lifecycle: validating → in_progress → finalizing → completed; failed; cancelling → cancelled; expired.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<BatchStatus>))]
public enum BatchStatus
{
    /// <summary>The input is being checked.</summary>
    [JsonStringEnumMemberName("validating")]
    Validating,

    /// <summary>The input failed validation, or its validation was interrupted; nothing was sent.</summary>
    [JsonStringEnumMemberName("failed")]
    Failed,

    /// <summary>Requests are being sent.</summary>
    [JsonStringEnumMemberName("in_progress")]
    InProgress,

    /// <summary>Every request has an outcome; the result files are being completed.</summary>
    [JsonStringEnumMemberName("finalizing")]
    Finalizing,

    /// <summary>Every request has an outcome in the output or error file.</summary>
    [JsonStringEnumMemberName("completed")]
    Completed,

    /// <summary>The completion window ended first; unrun requests are in the error file as <c>batch_expired</c>.</summary>
    [JsonStringEnumMemberName("expired")]
    Expired,

    /// <summary>Cancellation was asked for; in-flight requests are ending.</summary>
    [JsonStringEnumMemberName("cancelling")]
    Cancelling,

    /// <summary>Cancelled; unrun requests are in the error file as <c>batch_cancelled</c>.</summary>
    [JsonStringEnumMemberName("cancelled")]
    Cancelled,
}
