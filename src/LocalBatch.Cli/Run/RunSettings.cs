using LocalBatch.Cli.Output;

namespace LocalBatch.Cli.Run;

/// <summary>The parsed command line of <c>localbatch run</c>.</summary>
internal sealed record RunSettings(
    FileInfo Input,
    string? Output,
    string? Errors,
    IReadOnlyList<string>? Endpoints,
    string? ApiKey,
    string Concurrency,
    string MaxLineBytes,
    string StateDirectory)
{
    /// <summary>Gets how long one attempt may take (<c>--timeout</c>): a duration such as <c>10m</c>, or <c>none</c>.</summary>
    public string Timeout { get; init; } = RunChecks.DefaultTimeout;

    /// <summary>Gets how much is said on stderr.</summary>
    public Verbosity Verbosity { get; init; } = Verbosity.Normal;

    /// <summary>Gets a value indicating whether a JSON summary is printed on stdout.</summary>
    public bool Json { get; init; }

    /// <summary>Gets a value indicating whether only the failed lines of the file's last run are run again.</summary>
    public bool RetryFailed { get; init; }

    /// <summary>Gets a value indicating whether the retry includes what the server refused for itself (4xx).</summary>
    public bool AllFailures { get; init; }

    /// <summary>Gets a value indicating whether every line is sent again, reusing no answer of the file's earlier runs.</summary>
    public bool Fresh { get; init; }

    /// <summary>Gets how batches share the server with other clients' requests (<c>--batch-priority</c>).</summary>
    public BatchPriority BatchPriority { get; init; } = BatchPriority.Background;
}
