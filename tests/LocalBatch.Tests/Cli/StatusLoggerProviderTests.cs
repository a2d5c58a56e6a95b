using LocalBatch.Cli.Output;
using LocalBatch.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace LocalBatch.Tests.Cli;

/// <summary>The library's log events as the tool's one-line status messages, by verbosity.</summary>
public sealed class StatusLoggerProviderTests
{
    private const string Loading = "The gateway answered 503 (unavailable_error) to /v1/chat/completions: Loading model.";

    [Fact]
    public void Retries_SameReason_OneLineEveryTenSecondsWithTheCountOfTheOthers()
    {
        var (logger, lines, time) = Create(Verbosity.Normal);

        Log.RetryingRequest(logger, LogLevel.Warning, "POST", "/v1/chat/completions", 2, 1200, Loading);
        Log.RetryingRequest(logger, LogLevel.Warning, "POST", "/v1/chat/completions", 2, 1100, Loading);
        Log.RetryingRequest(logger, LogLevel.Warning, "POST", "/v1/chat/completions", 3, 2300, Loading);
        time.Advance(StatusLoggerProvider.RepeatInterval);
        Log.RetryingRequest(logger, LogLevel.Warning, "POST", "/v1/chat/completions", 4, 350, Loading);

        Assert.Equal(
        [
            "localbatch: retrying POST /v1/chat/completions in 1.2 s (retry 2): " + Loading,
            "localbatch: retrying POST /v1/chat/completions in 350 ms (retry 4): " + Loading + " (2 more retries since)",
        ], lines);
    }

    [Fact]
    public void Servers_LeavingAndRejoining_SayWhy()
    {
        var (logger, lines, _) = Create(Verbosity.Normal);

        Log.ServerLeftRotation(logger, "http://127.0.0.1:8080", "Loading");
        Log.ServerLeftRotation(logger, "http://127.0.0.1:8081", "Unreachable");
        Log.ServerRejoinedRotation(logger, "http://127.0.0.1:8081");
        Log.ConcurrencyChosen(logger, "http://127.0.0.1:8080", 4, "total_slots");

        Assert.Equal(
        [
            "localbatch: http://127.0.0.1:8080: the model is loading (503); waiting for it",
            "localbatch: http://127.0.0.1:8081 does not answer; waiting for it (retrying with back-off)",
            "localbatch: http://127.0.0.1:8081 answers again",
        ], lines);
    }

    [Fact]
    public void Quiet_SaysNothing_Verbose_SaysEveryEventButNeverTrace()
    {
        var (quiet, quietLines, _) = Create(Verbosity.Quiet);
        var (verbose, verboseLines, _) = Create(Verbosity.Verbose);

        foreach (var logger in new[] { quiet, verbose })
        {
            Log.RetryingRequest(logger, LogLevel.Warning, "POST", "/v1/completions", 2, 1000, Loading);
            Log.RetryingRequest(logger, LogLevel.Warning, "POST", "/v1/completions", 2, 1000, Loading);
            Log.ConcurrencyChosen(logger, "http://127.0.0.1:8080", 4, "total_slots");
            Log.SendingRequest(logger, "POST", "/v1/completions", "{\"prompt\":\"a secret prompt\"}");
        }

        Assert.Empty(quietLines);
        Assert.Equal(3, verboseLines.Count);
        Assert.Equal("localbatch: info: Server http://127.0.0.1:8080: concurrency 4 (total_slots)", verboseLines[2]);
        Assert.DoesNotContain(verboseLines, line => line.Contains("secret prompt", StringComparison.Ordinal));
    }

    [Fact]
    public void AnyLine_HoldingTheApiKey_HasItReplaced()
    {
        var (logger, lines, _) = Create(Verbosity.Normal, secret: "sk-local-123");

        Log.RetryingRequest(logger, LogLevel.Warning, "POST", "/v1/completions", 2, 10, "The proxy said: bad key sk-local-123");

        Assert.Equal("localbatch: retrying POST /v1/completions in 10 ms (retry 2): The proxy said: bad key ***", Assert.Single(lines));
    }

    private static (ILogger Logger, List<string> Lines, FakeTimeProvider Time) Create(Verbosity verbosity, string? secret = null)
    {
        var lines = new List<string>();
        var time = new FakeTimeProvider();
        var console = new StatusConsole(new LineWriter(lines), terminal: null, verbosity, time, secret);
        var provider = new StatusLoggerProvider(console, time);
        return (provider.CreateLogger("LocalBatch"), lines, time);
    }

    /// <summary>A writer that keeps each line written.</summary>
    private sealed class LineWriter(List<string> lines) : StringWriter
    {
        public override void WriteLine(string? value) => lines.Add(value ?? string.Empty);
    }
}
