using System.Text.RegularExpressions;
using LocalBatch.Batches;

namespace LocalBatch.Cli.Commands;

/// <summary>
/// The batch ids the <c>batches</c> commands take: a whole id (<c>batch_</c> and 32 letters and digits), or its short
/// form, the last <see cref="ShortLength"/> characters that <c>batches list</c> shows (any unique ending of at least 4
/// characters will do). The end of an id is its random part: the start is its creation time, shared by batches made
/// together.
/// </summary>
internal static partial class BatchIds
{
    /// <summary>The characters of a short id.</summary>
    public const int ShortLength = 8;

    private const string Prefix = "batch_";

    /// <summary>The short form of <paramref name="batchId"/>.</summary>
    public static string Short(string batchId) => batchId.Length > Prefix.Length + ShortLength ? batchId[^ShortLength..] : batchId;

    /// <summary>The batch <paramref name="text"/> names, whole or short.</summary>
    /// <exception cref="CliUsageException">It is not an id, or names no batch, or several.</exception>
    public static async Task<BatchJob> ResolveAsync(BatchJobManager manager, string text, CancellationToken cancellationToken)
    {
        if (text.StartsWith(Prefix, StringComparison.Ordinal))
        {
            try
            {
                return await manager.RetrieveAsync(text, cancellationToken).ConfigureAwait(false);
            }
            catch (ArgumentException ex)
            {
                throw NotAnId(text, ex);
            }
            catch (KeyNotFoundException ex)
            {
                throw new CliUsageException($"no batch {text} in {manager.StoreDirectory}; `localbatch batches list` shows them.", ex);
            }
        }

        if (!ShortIdPattern().IsMatch(text))
        {
            throw NotAnId(text, inner: null);
        }

        var matches = new List<BatchJob>();
        await foreach (var job in manager.ListAllAsync(cancellationToken).ConfigureAwait(false))
        {
            if (job.Id.EndsWith(text, StringComparison.OrdinalIgnoreCase))
            {
                matches.Add(job);
            }
        }

        return matches.Count switch
        {
            1 => matches[0],
            0 => throw new CliUsageException($"no batch whose id ends in '{text}' in {manager.StoreDirectory}; `localbatch batches list` shows them."),
            _ => throw new CliUsageException($"'{text}' is the end of {matches.Count} batch ids ({string.Join(", ", matches.Take(3).Select(static job => job.Id))}); give more of the id."),
        };
    }

    private static CliUsageException NotAnId(string text, Exception? inner)
    {
        var message = $"'{text}' is not a batch id: give the id `localbatch batches list` shows (its last {ShortLength} characters), or the whole batch_… id.";
        return inner is null ? new CliUsageException(message) : new CliUsageException(message, inner);
    }

    [GeneratedRegex("^[A-Za-z0-9]{4,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex ShortIdPattern();
}
