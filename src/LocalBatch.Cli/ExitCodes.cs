namespace LocalBatch.Cli;

/// <summary>The tool's exit codes.</summary>
internal static class ExitCodes
{
    /// <summary>Every line succeeded.</summary>
    public const int Success = 0;

    /// <summary>A fatal error (including an interruption: run the same command again to resume).</summary>
    public const int Fatal = 1;

    /// <summary>Invalid input or usage, or no server could be reached at the start; nothing was sent.</summary>
    public const int InvalidInput = 2;

    /// <summary>The batch finished with some failed lines (see the errors file).</summary>
    public const int SomeFailed = 3;
}
