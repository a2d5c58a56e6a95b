using System.Text.Json;
using LocalBatch.Processing.Internal;

namespace LocalBatch.Tests.Processing;

public sealed class PromptPrefixTests
{
    private static readonly string Document = string.Concat(Enumerable.Repeat("The quarterly report shows growth in every region. ", 8));

    [Fact]
    public void KeyOf_CompletionsSharingADocument_SameKeyWhateverTheQuestion()
    {
        var first = PromptPrefix.KeyOf(Document + "\nQuestion: what grew?");
        var second = PromptPrefix.KeyOf(Document + "\nQuestion: where?");

        Assert.NotEqual(0UL, first);
        Assert.Equal(first, second);
        Assert.NotEqual(first, PromptPrefix.KeyOf(Document.Replace("growth", "decline", StringComparison.Ordinal) + "\nQuestion: what grew?"));
    }

    [Theory]
    [InlineData("a short prompt")]
    [InlineData("short context\nQuestion: what?")]
    [InlineData(null)]
    public void KeyOf_NothingLongEnoughToShare_IsZero(string? prompt) => Assert.Equal(0UL, PromptPrefix.KeyOf(prompt));

    [Fact]
    public void KeyOf_ChatsSharingSystemAndDocument_SameKeyUpToTheLastUserTurn()
    {
        ChatCompletionMessage[] Chat(string question) => [ChatCompletionMessage.System("Answer from the document."), ChatCompletionMessage.User(Document), ChatCompletionMessage.Assistant("Read it."), ChatCompletionMessage.User(question)];

        var key = PromptPrefix.KeyOf(Chat("What grew?"));

        Assert.NotEqual(0UL, key);
        Assert.Equal(key, PromptPrefix.KeyOf(Chat("Where?")));
        Assert.Equal(0UL, PromptPrefix.KeyOf([ChatCompletionMessage.User(Document)])); // one turn: nothing before it
    }

    [Fact]
    public void KeyOf_RawBodies_SameKeysAsTheTypedRequests()
    {
        var chat = JsonSerializer.SerializeToElement(new
        {
            messages = new object[]
            {
                new { role = "system", content = "Answer from the document." },
                new { role = "user", content = Document },
                new { role = "user", content = "What grew?" },
            },
        });
        var completion = JsonSerializer.SerializeToElement(new { prompt = Document + "\nQ?" });

        Assert.Equal(PromptPrefix.KeyOf([ChatCompletionMessage.System("Answer from the document."), ChatCompletionMessage.User(Document), ChatCompletionMessage.User("x")]), PromptPrefix.KeyOf(chat));
        Assert.Equal(PromptPrefix.KeyOf(Document + "\nQ?"), PromptPrefix.KeyOf(completion));
        Assert.Equal(0UL, PromptPrefix.KeyOf(JsonSerializer.SerializeToElement(new { input = "an embedding" })));
    }

    [Fact]
    public void KeyOf_Responses_InstructionsAndInputUpToItsLastLineBreakOrBeforeItsLastUserItem()
    {
        JsonElement Text(string question, string instructions = "Answer from the document.") =>
            JsonSerializer.SerializeToElement(new { instructions, input = Document + "\n" + question });
        JsonElement Items(string question) => JsonSerializer.SerializeToElement(new
        {
            input = new object[]
            {
                new { role = "developer", content = "Answer from the document." },
                new { role = "user", content = new[] { new { type = "input_text", text = Document } } },
                new { role = "user", content = question },
            },
        });

        Assert.NotEqual(0UL, PromptPrefix.KeyOf(Text("What grew?")));
        Assert.Equal(PromptPrefix.KeyOf(Text("What grew?")), PromptPrefix.KeyOf(Text("Where?")));
        Assert.NotEqual(PromptPrefix.KeyOf(Text("What grew?")), PromptPrefix.KeyOf(Text("What grew?", "Answer in French.")));
        Assert.NotEqual(0UL, PromptPrefix.KeyOf(Items("What grew?")));
        Assert.Equal(PromptPrefix.KeyOf(Items("What grew?")), PromptPrefix.KeyOf(Items("Where?")));
        Assert.Equal(0UL, PromptPrefix.KeyOf(JsonSerializer.SerializeToElement(new { input = "a short question" })));
    }

    [Fact]
    public void KeyOf_AnthropicMessages_TheirSystemCountsAsTheFirstTurn()
    {
        JsonElement Message(string question, object system) => JsonSerializer.SerializeToElement(new
        {
            system,
            max_tokens = 8,
            messages = new[] { new { role = "user", content = question } },
        });

        var key = PromptPrefix.KeyOf(Message("What grew?", Document));

        Assert.NotEqual(0UL, key);
        Assert.Equal(key, PromptPrefix.KeyOf(Message("Where?", Document)));
        Assert.NotEqual(0UL, PromptPrefix.KeyOf(Message("Where?", new[] { new { type = "text", text = Document } })));
        Assert.Equal(0UL, PromptPrefix.KeyOf(JsonSerializer.SerializeToElement(new { messages = new[] { new { role = "user", content = Document } } })));
    }
}
