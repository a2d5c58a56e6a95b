using LocalBatch.Tests.Reliability.Harness;
using LocalBatch.Tests.Support;
using Xunit.Abstractions;

namespace LocalBatch.Tests.Reliability;

/// <summary>Every case of the bad input corpus (<c>Corpus/</c>): a clear error with its line, nothing sent, no crash, no hang.</summary>
[Collection(ReliabilityCollection.Name)]
public sealed class BadInputCorpusTests(ITestOutputHelper output)
{
    public static TheoryData<string> Cases => [.. BadInputCorpus.Names()];

    [Fact]
    public void Corpus_HasAtLeastThirtyCases() => Assert.True(BadInputCorpus.Names().Count >= 30);

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Run_CorpusCase_DoesWhatItsFileExpects(string name)
    {
        var outcome = await BadInputCorpus.RunAsync(name, async args =>
        {
            var run = await CliHarness.RunCliAsync(args);
            return (run.ExitCode, run.Error);
        });

        output.WriteLine(outcome.ToString());
        Assert.True(outcome.Passed, outcome.ToString());
    }
}
