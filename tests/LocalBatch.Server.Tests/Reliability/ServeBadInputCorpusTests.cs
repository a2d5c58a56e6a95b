using LocalBatch.Server.Tests.Reliability.Harness;
using LocalBatch.Server.Tests.Support;
using Xunit.Abstractions;

namespace LocalBatch.Server.Tests.Reliability;

/// <summary>
/// Every case of serve's bad input corpus (<c>Corpus/</c>), against <c>localbatch serve</c> run as the tool runs it: the
/// status and OpenAI error its file expects, never a stack trace, a crash or a hang, and nothing created or sent.
/// </summary>
public sealed class ServeBadInputCorpusTests(ITestOutputHelper output)
{
    public static TheoryData<string> Cases => [.. ServeCorpus.Names()];

    [Fact]
    public void Corpus_HasAtLeastFortyCases() => Assert.True(ServeCorpus.Names().Count >= 40);

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Serve_CorpusCase_AnswersWhatItsFileExpects(string name)
    {
        var outcome = await ServeCorpus.RunAsync(name, async options =>
        {
            var serve = await InProcessServe.StartAsync(options);
            return (serve.BaseAddress, serve);
        });

        output.WriteLine(outcome.ToString());
        Assert.True(outcome.Passed, outcome.ToString());
    }
}
