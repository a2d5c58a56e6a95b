using System.Text.Json;
using System.Text.Json.Serialization;

namespace LocalBatch;

/// <summary>One message of a chat conversation, as <c>/v1/chat/completions</c> sends and answers it.</summary>
/// <remarks>
/// Named apart from <c>Microsoft.Extensions.AI.ChatMessage</c> (and <c>OpenAI.Chat.ChatMessage</c>), so that a file may
/// import <c>LocalBatch</c> and <c>Microsoft.Extensions.AI</c> together.
/// </remarks>
public sealed record ChatCompletionMessage
{
    /// <summary>Gets the author's role: <c>system</c>, <c>user</c>, <c>assistant</c> or <c>tool</c>.</summary>
    [JsonPropertyName("role")]
    public required string Role { get; init; }

    /// <summary>Gets the text of the message.</summary>
    [JsonPropertyName("content")]
    public string? Content { get; init; }

    /// <summary>Gets any other fields (<c>name</c>, <c>tool_calls</c>, <c>reasoning_content</c>, …).</summary>
    [JsonExtensionData]
    public IDictionary<string, JsonElement>? AdditionalProperties { get; set; }

    /// <summary>Creates a <c>system</c> message.</summary>
    /// <param name="content">The instructions.</param>
    /// <returns>The message.</returns>
    public static ChatCompletionMessage System(string content) => new() { Role = "system", Content = content };

    /// <summary>Creates a <c>user</c> message.</summary>
    /// <param name="content">What the user says.</param>
    /// <returns>The message.</returns>
    public static ChatCompletionMessage User(string content) => new() { Role = "user", Content = content };

    /// <summary>Creates an <c>assistant</c> message.</summary>
    /// <param name="content">What the assistant said.</param>
    /// <returns>The message.</returns>
    public static ChatCompletionMessage Assistant(string content) => new() { Role = "assistant", Content = content };
}
