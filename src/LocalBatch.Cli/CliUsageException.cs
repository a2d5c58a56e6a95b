namespace LocalBatch.Cli;

/// <summary>A usage error found after parsing (a missing file, a bad value): exit code 2.</summary>
internal sealed class CliUsageException : Exception
{
    public CliUsageException()
    {
    }

    public CliUsageException(string message)
        : base(message)
    {
    }

    public CliUsageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
