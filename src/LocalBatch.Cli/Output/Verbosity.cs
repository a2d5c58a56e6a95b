namespace LocalBatch.Cli.Output;

/// <summary>How much a command says on stderr besides its errors.</summary>
internal enum Verbosity
{
    /// <summary>Errors only (<c>-q</c>): no progress, no status lines.</summary>
    Quiet,

    /// <summary>Progress, what the command does, and one line for each retry, model load or server that does not answer.</summary>
    Normal,

    /// <summary>Everything the library logs down to Debug (<c>-v</c>): every retry, concurrency choices, failovers. Never a prompt.</summary>
    Verbose,
}
