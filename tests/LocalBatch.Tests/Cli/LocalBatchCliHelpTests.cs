using System.CommandLine;
using LocalBatch.Cli;
using static LocalBatch.Tests.Support.CliHarness;

namespace LocalBatch.Tests.Cli;

/// <summary>What --help says (the tool's name, each command's own exit codes) and what a mistyped word is told.</summary>
public sealed class LocalBatchCliHelpTests
{
    [Theory]
    [InlineData("localbatch [command] [options]", "--help")]
    [InlineData("localbatch run <input> [options]", "run", "--help")]
    [InlineData("localbatch batches list [options]", "batches", "list", "--help")]
    [InlineData("localbatch serve [command] [options]", "serve", "--help")]
    [InlineData("localbatch serve keys add <name> [options]", "serve", "keys", "add", "--help")]
    public async Task Help_UsageLine_NamesTheCommandUsersType(string usage, params string[] args)
    {
        var help = await RunCliAsync(args);

        Assert.Equal(0, help.ExitCode);
        Assert.Contains("  " + usage, help.Output, StringComparison.Ordinal);
        if (RootCommand.ExecutableName != HelpWithFooterAction.ToolName)
        {
            Assert.DoesNotContain(RootCommand.ExecutableName + " ", help.Output, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("LocalBatch.Cli")]
    [InlineData("testhost")]
    public void WithToolName_UsageLines_SayLocalbatchAndLeaveTheRest(string executable)
    {
        var text = $"Description:\n  Run files.\n\nUsage:\n  {executable} run <input> [options]\n\nOptions:\n  --state-dir  Where {executable} keeps state.\n";

        var renamed = HelpWithFooterAction.WithToolName(text, executable);

        Assert.Contains("  localbatch run <input> [options]", renamed, StringComparison.Ordinal);
        Assert.Contains($"Where {executable} keeps state.", renamed, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_Serve_ListsServesExitCodesAndVariablesOnly()
    {
        var help = await RunCliAsync("serve", "--help");

        Assert.Equal(0, help.ExitCode);
        Assert.Contains("  0  stopped with Ctrl+C", help.Output, StringComparison.Ordinal);
        Assert.Contains("  1  fatal error: the server could not start", help.Output, StringComparison.Ordinal);
        Assert.Contains("LOCALBATCH_SERVE_API_KEY", help.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("  3  ", help.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("--retry-failed", help.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("every line succeeded", help.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_Run_ListsRunsExitCodesAndVariables()
    {
        var help = await RunCliAsync("run", "--help");

        foreach (var code in new[] { "  0  every line succeeded", "  1  fatal error", "  2  invalid input", "  3  the batch finished with failed lines" })
        {
            Assert.Contains(code, help.Output, StringComparison.Ordinal);
        }

        Assert.Contains("LOCALBATCH_ENDPOINT", help.Output, StringComparison.Ordinal);
        Assert.Contains("LOCALBATCH_API_KEY", help.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("LOCALBATCH_SERVE_API_KEY", help.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("batches", "list", "--help")]
    [InlineData("batches", "watch", "--help")]
    public async Task Help_Batches_ListsTheBatchesCommandsExitCodes(params string[] args)
    {
        var help = await RunCliAsync(args);

        Assert.Contains("  2  invalid usage: a bad flag or value, an unknown batch id", help.Output, StringComparison.Ordinal);
        Assert.Contains("  3  watch: the batch ended with failed lines", help.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("LOCALBATCH_API_KEY", help.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("'--ouptut': did you mean '--output'?", "run", "in.jsonl", "--ouptut", "out.jsonl")]
    [InlineData("'--concurency': did you mean '--concurrency'?", "run", "in.jsonl", "--concurency", "4")]
    [InlineData("'--retry': did you mean '--retry-failed'?", "run", "in.jsonl", "--retry")]
    [InlineData("'--gatway': did you mean '--gateway'?", "serve", "--gatway", "http://127.0.0.1:1")]
    [InlineData("'--older-then': did you mean '--older-than'?", "batches", "prune", "--older-then", "7d")]
    [InlineData("'lst': did you mean 'list'?", "batches", "lst")]
    public async Task MistypedWord_SuggestsTheRightOne(string hint, params string[] args)
    {
        var run = await RunCliAsync(args);

        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        Assert.Contains("localbatch: " + hint, run.Error, StringComparison.Ordinal);
        Assert.Contains("Try 'localbatch --help'.", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownFlagLikeNothing_SuggestsNothing()
    {
        var run = await RunCliAsync("run", "in.jsonl", "--fast");

        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        Assert.Contains("Unrecognized command or argument '--fast'", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("did you mean", run.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--ouptut", "--output", 2)]
    [InlineData("--output", "--output", 0)]
    [InlineData("--Output", "--output", 0)]
    [InlineData("lst", "list", 1)]
    [InlineData("", "abc", 3)]
    public void Distance_CountsEdits(string first, string second, int edits) =>
        Assert.Equal(edits, TypoSuggestions.Distance(first, second));
}
