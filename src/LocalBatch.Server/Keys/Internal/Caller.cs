using LocalBatch.Batches;
using LocalBatch.Server.Files.Internal;
using Microsoft.AspNetCore.Http;

namespace LocalBatch.Server.Keys.Internal;

/// <summary>
/// Who sent a request, as its key says: the owner recorded on what it uploads and creates, whether it is an admin (sees
/// and acts on everything), and its limits. A key that is not an admin sees only what it owns; everything else answers as
/// a missing id would, so that ids cannot be probed.
/// </summary>
/// <param name="Owner">The key's name; <see langword="null"/> for the server's single <c>--api-key</c> and an open server.</param>
/// <param name="IsAdmin">Whether the key sees and acts on everything.</param>
/// <param name="MaxRunningBatches">The most unfinished batches the key may have, or <see langword="null"/>.</param>
/// <param name="MaxStoredBytes">The most bytes its uploaded files may hold, or <see langword="null"/>.</param>
internal sealed record Caller(string? Owner, bool IsAdmin, int? MaxRunningBatches = null, long? MaxStoredBytes = null)
{
    /// <summary>The caller of a server without keys, and of its single <c>--api-key</c>: an admin that owns nothing.</summary>
    public static readonly Caller Admin = new(null, IsAdmin: true);

    /// <summary>The caller the key filter found for the request.</summary>
    /// <exception cref="InvalidOperationException">The request did not pass the key filter.</exception>
    public static Caller Of(HttpContext context) =>
        context.Features.Get<Caller>() ?? throw new InvalidOperationException("The request has no caller: the API key filter did not run.");

    /// <summary>Whether the caller may see something owned by <paramref name="owner"/>.</summary>
    public bool Sees(string? owner) => IsAdmin || (Owner is not null && string.Equals(owner, Owner, StringComparison.Ordinal));

    /// <summary>The batch as this caller is shown it: its owner only to admins.</summary>
    public BatchJob Show(BatchJob job) => IsAdmin || job.Owner is null ? job : job with { Owner = null };

    /// <summary>The file as this caller is shown it: its owner only to admins.</summary>
    public FileObject Show(FileObject file) => IsAdmin || file.Owner is null ? file : file with { Owner = null };
}
