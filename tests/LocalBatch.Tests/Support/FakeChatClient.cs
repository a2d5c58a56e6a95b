using System.Collections.Concurrent;
using Microsoft.Extensions.AI;

namespace LocalBatch.Tests.Support;

/// <summary>An <see cref="IChatClient"/> that answers with a delegate and keeps the options of every request.</summary>
internal sealed class FakeChatClient(Func<IReadOnlyList<ChatMessage>, CancellationToken, Task<ChatResponse>> respond) : IChatClient
{
    private readonly ConcurrentQueue<ChatOptions?> _options = new();

    public IReadOnlyCollection<ChatOptions?> ReceivedOptions => _options;

    /// <summary>An assistant answer with the given text and token counts.</summary>
    public static ChatResponse Answer(string text, int inputTokens = 0, int outputTokens = 0) =>
        new(new ChatMessage(ChatRole.Assistant, text))
        {
            Usage = new UsageDetails { InputTokenCount = inputTokens, OutputTokenCount = outputTokens, TotalTokenCount = inputTokens + outputTokens },
        };

    /// <summary>The text of the conversation's last user message.</summary>
    public static string LastUserText(IReadOnlyList<ChatMessage> messages) => messages.Last(m => m.Role == ChatRole.User).Text;

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        _options.Enqueue(options);
        return respond([.. messages], cancellationToken);
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("Batches ask for whole answers.");

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}
