using System.Globalization;
using System.Security.Cryptography;
using LocalBatch.Batches;

namespace LocalBatch.Cli.Run;

/// <summary>What <c>localbatch run</c> checks and works out before it runs anything: its input, result paths and values.</summary>
internal static class RunChecks
{
    /// <summary>Refuses an input that is not a readable file before anything is created.</summary>
    public static void CheckInput(FileInfo input)
    {
        if (Directory.Exists(input.FullName))
        {
            throw new CliUsageException($"The input '{input.FullName}' is a directory; give the JSONL batch file to run.");
        }

        if (!input.Exists)
        {
            throw new CliUsageException($"The input file '{input.FullName}' does not exist.");
        }
    }

    /// <summary>Refuses result paths that would overwrite the input, each other or a directory, before anything is sent.</summary>
    public static void CheckDestinations(string input, string output, string errors, string stateDirectory)
    {
        foreach (var (name, path) in new[] { ("--output", output), ("--errors", errors) })
        {
            if (string.Equals(path, input, StringComparison.Ordinal))
            {
                throw new CliUsageException($"{name} '{path}' is the input file itself; give another path.");
            }

            if (Directory.Exists(path))
            {
                throw new CliUsageException($"{name} '{path}' is a directory; give a file path.");
            }
        }

        if (string.Equals(output, errors, StringComparison.Ordinal))
        {
            throw new CliUsageException($"--output and --errors are the same file '{output}'; give two paths.");
        }

        if (File.Exists(stateDirectory))
        {
            throw new CliUsageException($"--state-dir '{stateDirectory}' is a file; give a directory.");
        }
    }

    public static int ParseConcurrency(string value) =>
        value.Equals("auto", StringComparison.OrdinalIgnoreCase) || value.Equals("adaptive", StringComparison.OrdinalIgnoreCase) ? 0
        : int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number is >= 1 and <= LocalBatchOptions.MaxConcurrencyLimit ? number
        : throw new CliUsageException($"--concurrency must be auto, adaptive or a number from 1 to {LocalBatchOptions.MaxConcurrencyLimit}; got '{value}'.");

    public static int ParseMaxLineBytes(string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number is >= 1 and <= BatchJobManagerOptions.MaxLineBytesLimit ? number
        : throw new CliUsageException($"--max-line-bytes must be a number of bytes from 1 to {BatchJobManagerOptions.MaxLineBytesLimit}; got '{value}'.");

    /// <summary>The default of <c>--timeout</c>: the library's own (long generations on a CPU are normal).</summary>
    public const string DefaultTimeout = "10m";

    /// <summary>The longest <c>--timeout</c>: a week (a timer cannot wait much longer).</summary>
    public static readonly TimeSpan MaxTimeout = TimeSpan.FromDays(7);

    /// <summary>How long one attempt may take: a duration such as <c>90s</c>, <c>10m</c> or <c>2h</c>, or <c>none</c> for no limit.</summary>
    /// <exception cref="CliUsageException">Not such a value.</exception>
    public static TimeSpan ParseTimeout(string value) =>
        value.Trim().Equals("none", StringComparison.OrdinalIgnoreCase)
            ? Timeout.InfiniteTimeSpan
            : CliDurations.Parse("--timeout", value, "90s, 10m or 2h (or none)", MaxTimeout);

    /// <summary>The file's SHA-256, which tells a run of it from a run of an earlier version at the same path.</summary>
    public static async Task<string> HashAsync(string path, CancellationToken cancellationToken)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan | FileOptions.Asynchronous);
        }
        catch (UnauthorizedAccessException)
        {
            throw new CliUsageException($"The input file '{path}' cannot be read: permission denied.");
        }

        await using (stream.ConfigureAwait(false))
        {
            return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false));
        }
    }

    /// <summary>INPUT.output.jsonl and INPUT.errors.jsonl beside the input.</summary>
    public static string DefaultPath(FileInfo input, string suffix)
    {
        var name = input.Name.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) ? input.Name[..^".jsonl".Length] : input.Name;
        return Path.Combine(input.DirectoryName!, name + suffix);
    }
}
