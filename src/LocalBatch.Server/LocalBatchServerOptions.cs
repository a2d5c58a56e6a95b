using System.ComponentModel.DataAnnotations;
using System.Diagnostics.CodeAnalysis;

namespace LocalBatch.Server;

/// <summary>Settings of the Batch and Files API server (<c>localbatch serve</c>, or <c>AddLocalBatchServer</c> in an app of your own).</summary>
public sealed class LocalBatchServerOptions
{
    /// <summary>The default <see cref="MaxUploadSize"/>: 200 MB (209,715,200 bytes), OpenAI's limit for a batch input file.</summary>
    public const long DefaultMaxUploadSize = 200L * 1024 * 1024;

    /// <summary>The largest <see cref="MaxUploadSize"/> accepted: 1 TB.</summary>
    public const long MaxUploadSizeLimit = 1L << 40;

    /// <summary>
    /// Gets or sets the llama.cpp server (or gateway in front of it) that batches run against and that every other route
    /// is proxied to, without <c>/v1</c>.
    /// </summary>
    /// <value>The default is <c>http://localhost:8080</c>.</value>
    [Required(ErrorMessage = "{0} is required.")]
    public Uri Gateway { get; set; } = LocalBatchOptions.DefaultEndpoint;

    /// <summary>
    /// Gets or sets several llama.cpp servers to spread batches over; when it holds any, batches run on all of them
    /// (see <see cref="LocalBatchOptions.Endpoints"/>), proxied requests that take a slot (chat, completions,
    /// embeddings, …) go to the one with the most free slots for its size, and other proxied routes to the first of
    /// them that is healthy (their <c>/health</c> is checked every few seconds).
    /// </summary>
    /// <value>The default is empty: batches run on <see cref="Gateway"/> alone, and every proxied route goes to it.</value>
    public IList<Uri> Gateways { get; set; } = [];

    /// <summary>
    /// Gets or sets the key this server sends to the gateway, as <c>Authorization: Bearer</c>, for batches and proxied
    /// requests alike. A key that a client sends to this server is never forwarded.
    /// </summary>
    /// <value>The default is <see langword="null"/>: no key is sent.</value>
    public string? GatewayApiKey { get; set; }

    /// <summary>
    /// Gets or sets the key clients must send as <c>Authorization: Bearer KEY</c> on every route but <c>/health</c>;
    /// it is compared in constant time and never logged or echoed.
    /// </summary>
    /// <value>The default is <see langword="null"/>: no key is needed (the standalone server listens on loopback only by default).</value>
    public string? ApiKey { get; set; }

    /// <summary>
    /// Gets or sets the keys file of a server shared by a team (see <see cref="ApiKeysFile"/>): named keys, stored as
    /// SHA-256 hashes, some of them admins. Each key sees, lists, reads, cancels and deletes only the files and batches
    /// it created (another's id answers 404, as a missing one); an admin key sees and acts on all. The file is read
    /// again whenever it changes, from the next request on: a removed key stops working at once (its batches run on).
    /// <see cref="ApiKey"/>, when also set, is one more admin key.
    /// </summary>
    /// <value>The default is <see langword="null"/>: no keys file; only <see cref="ApiKey"/>, if any.</value>
    public string? KeysFile { get; set; }

    /// <summary>
    /// Gets or sets the state directory: the same store as <c>localbatch run</c> and <see cref="LocalBatch.Batches.BatchJobManager"/>
    /// use, its batches in <c>batch_…</c> folders and the uploaded files in its <c>files</c> folder.
    /// </summary>
    /// <value>The default is <c>.localbatch</c> in the current directory.</value>
    [Required(ErrorMessage = "{0} is required.")]
    public string StateDirectory { get; set; } = ".localbatch";

    /// <summary>Gets or sets the largest file <c>POST /v1/files</c> accepts, in bytes; a larger one is answered with 413.</summary>
    /// <value>The default is <see cref="DefaultMaxUploadSize"/> (200 MB); at most <see cref="MaxUploadSizeLimit"/>.</value>
    [Range(1L, MaxUploadSizeLimit)]
    public long MaxUploadSize { get; set; } = DefaultMaxUploadSize;

    /// <summary>
    /// Gets or sets how long finished batches (with their output and error files) and uploaded files are kept: a batch
    /// is removed that long after it ended, never while it runs; an uploaded file that long after its upload, never
    /// while an unfinished batch uses it. Files show the time as <c>expires_at</c>.
    /// </summary>
    /// <value>The default is <see langword="null"/>: everything is kept until deleted.</value>
    public TimeSpan? Retention { get; set; }

    /// <summary>
    /// Gets or sets how often the gateway's <c>/health</c> is asked, while batches wait for an unreachable gateway to come
    /// back (their runs stop once every retry has failed, and resume as soon as it answers).
    /// </summary>
    /// <value>The default is 5 seconds.</value>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Read by the source-generated options validator, which checks the range with its own trim-safe copy of the attribute.")]
    [Range(typeof(TimeSpan), "00:00:00.001", "01:00:00")]
    public TimeSpan GatewayRetryInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Gets or sets how batches share the gateways with the requests proxied to them (and other clients' requests):
    /// with <see cref="LocalBatch.BatchPriority.Background"/>, every proxied request that takes a slot is counted while it
    /// runs, and batches leave enough slots free for that traffic plus one until a few seconds after it stops
    /// (<see cref="LocalBatchOptions.InteractiveHoldDown"/>); proxied requests themselves are never held up. Sets
    /// <see cref="LocalBatchOptions.BatchPriority"/>.
    /// </summary>
    /// <value>
    /// The default is <see cref="LocalBatch.BatchPriority.Background"/>; <see cref="LocalBatch.BatchPriority.Foreground"/>
    /// lets batches take every slot, for gateways nobody else uses.
    /// </value>
    public BatchPriority BatchPriority { get; set; } = BatchPriority.Background;

    /// <summary>
    /// Gets or sets a value indicating whether <c>MapLocalBatchApi</c> also forwards every route it does not serve to
    /// the gateways (<see cref="Gateways"/>, else <see cref="Gateway"/>). Turn it off when the API is mounted inside the gateway itself.
    /// </summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool ProxyOtherRoutes { get; set; } = true;

    /// <summary>
    /// Gets or sets a value indicating whether <c>MapLocalBatchApi</c> also serves the batch dashboard at <c>/ui</c>: the
    /// batches with their progress, a page for each with its servers and first errors, cancel and download buttons. It
    /// shows what the API shows the same caller; when <see cref="ApiKey"/> is set, a browser logs in once with the key
    /// (sent in a form, kept in no URL or cookie: the cookie holds a random session id, <c>HttpOnly</c>,
    /// <c>SameSite=Strict</c>). Every asset is embedded in this assembly.
    /// </summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool ServeDashboard { get; set; } = true;
}
