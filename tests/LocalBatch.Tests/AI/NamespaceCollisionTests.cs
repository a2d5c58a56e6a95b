// Deliberately outside the LocalBatch namespace, like a user's code: inside it, LocalBatch's own types would be found
// before any using directive and a name clash would go unnoticed.
using System.Reflection;
using LocalBatch;
using Microsoft.Extensions.AI;

namespace ConsumerCode;

/// <summary>A file importing both LocalBatch and Microsoft.Extensions.AI compiles and means what it says.</summary>
public sealed class NamespaceCollisionTests
{
    [Fact]
    public void BothNamespacesImported_ChatMessageIsMicrosoftsAndChatCompletionMessageIsLocalBatchs()
    {
        ChatMessage message = new(ChatRole.User, "Hi");
        ChatCompletionMessage wire = ChatCompletionMessage.User("Hi");
        var request = new ChatCompletionRequest { Messages = [wire, ChatCompletionMessage.System("Be terse.")] };

        Assert.Equal("Microsoft.Extensions.AI", message.GetType().Namespace);
        Assert.Equal(("user", "Hi"), (request.Messages[0].Role, request.Messages[0].Content));
        Assert.Equal(message.Text, wire.Content);
    }

    [Fact]
    public void PublicTypesOfTheLocalBatchNamespace_ShareNoNameWithMicrosoftExtensionsAI()
    {
        static IEnumerable<string> Names(string ns, params Assembly[] assemblies) =>
            assemblies.SelectMany(a => a.GetExportedTypes()).Where(t => t.Namespace == ns).Select(t => t.Name);

        var ours = Names("LocalBatch", typeof(LocalBatchProcessor).Assembly, typeof(ChatBatchOptions).Assembly);
        var theirs = Names(
            "Microsoft.Extensions.AI",
            typeof(ChatMessage).Assembly,
            typeof(ChatClientStructuredOutputExtensions).Assembly,
            typeof(OpenAIClientExtensions).Assembly);

        Assert.Empty(ours.Intersect(theirs));
    }
}
