using System.ComponentModel.DataAnnotations;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Logging;

namespace LocalBatch;

/// <summary>
/// Settings for talking to a llama.cpp server (or a gateway in front of it): where it is, how to
/// authenticate, how many requests to keep in flight, and how to ride out transient faults.
/// </summary>
/// <remarks>
/// Validated once, when the client is built (or at host start-up with dependency injection); every
/// problem is reported together in one <see cref="Microsoft.Extensions.Options.OptionsValidationException"/>.
/// </remarks>
public sealed class LocalBatchOptions
{
    /// <summary>The default <see cref="Endpoint"/>: llama-server's own default address.</summary>
    public static readonly Uri DefaultEndpoint = new("http://localhost:8080");

    /// <summary>Gets or sets the base address of the server, without the <c>/v1</c> part.</summary>
    /// <value>The default is <c>http://localhost:8080</c>. A path prefix (a gateway mounted under <c>/llm/</c>) is kept.</value>
    [Required(ErrorMessage = "{0} is required (for example http://localhost:8080).")]
    public Uri Endpoint { get; set; } = DefaultEndpoint;

    /// <summary>
    /// Gets or sets the base addresses of several servers to spread requests over; when it holds any, it is used instead
    /// of <see cref="Endpoint"/>.
    /// </summary>
    /// <value>
    /// The default is empty: the one server at <see cref="Endpoint"/>. Each request goes to a server with a free slot; a
    /// server that fails leaves the rotation until its <c>/health</c> answers again. Bound from configuration as an array
    /// (<c>"Endpoints": ["http://gpu1:8080", "http://gpu2:8080"]</c>).
    /// </value>
    public IList<Uri> Endpoints { get; set; } = [];

    /// <summary>Gets or sets the API key sent as <c>Authorization: Bearer</c>, or <see langword="null"/> for none.</summary>
    /// <value>
    /// The default is <see langword="null"/>. Printable ASCII without white space, as an HTTP header can carry it. The
    /// key never appears in logs, exception messages or files.
    /// </value>
    [RegularExpression(@"^[\x21-\x7E]+$", ErrorMessage = "{0} must be printable ASCII without white space, as an HTTP header carries it, and not empty (leave it null for a server without a key).")]
    public string? ApiKey { get; set; }

    /// <summary>Gets or sets the model name put in requests that name none.</summary>
    /// <value>The default is <see langword="null"/>: the field is left out (a single-model llama-server ignores it anyway).</value>
    public string? DefaultModel { get; set; }

    /// <summary>Gets or sets how many requests each server is sent at once; 0 means automatic.</summary>
    /// <value>
    /// The default is 0: read <c>total_slots</c> from each server's <c>/props</c> once and use it, or, for a server without
    /// <c>/props</c>, find its concurrency from latency (see <see cref="UseAdaptiveConcurrency"/>). At most
    /// <see cref="MaxConcurrencyLimit"/>.
    /// </value>
    [Range(0, MaxConcurrencyLimit)]
    public int MaxConcurrency { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether each server's concurrency is found from latency even when it has
    /// <c>/props</c> (when <see cref="MaxConcurrency"/> is 0).
    /// </summary>
    /// <value>
    /// The default is <see langword="false"/>: latency decides only for servers without <c>/props</c> (gateways, Ollama,
    /// LM Studio, vLLM). The limit grows while answers come as fast as when
    /// the server was idle, and falls back when they slow down (requests queueing in the server) or on 429 and 503.
    /// It starts at one request, and doubles each round of answers until requests start to queue.
    /// </value>
    public bool UseAdaptiveConcurrency { get; set; }

    /// <summary>Gets or sets the most requests a server whose concurrency is found from latency is sent at once.</summary>
    /// <value>The default is 64.</value>
    [Range(1, MaxConcurrencyLimit)]
    public int MaxAdaptiveConcurrency { get; set; } = 64;

    /// <summary>
    /// Gets or sets a value indicating whether requests that share a long prompt prefix (a document with several
    /// questions) run one after another on one lane, so that the server's prompt cache processes the shared part once.
    /// </summary>
    /// <value>
    /// The default is <see langword="true"/>. A completion's shared part is its prompt up to its last line break, a chat's
    /// every message before its last user turn, when at least 200 characters long. Lanes take the biggest groups first;
    /// requests that share nothing run in input order, as with <see langword="false"/>. Results keep their index (and
    /// a batch line its <c>custom_id</c>) whatever the order they ran in.
    /// </value>
    public bool UsePrefixAffinity { get; set; } = true;

    /// <summary>
    /// Gets or sets a value indicating whether a prefix-affinity lane keeps one slot of its llama-server (<c>id_slot</c>),
    /// so that its requests, one after another, find their shared prefix in that slot's cache.
    /// </summary>
    /// <value>
    /// The default is <see langword="false"/>: llama-server itself gives a request the idle slot whose cached prompt is
    /// most like it, and on a CPU llama-server keeping slots measured no faster (0.94–1.11× of the server's choice,
    /// within the runs' noise; <c>bench affinity ROUNDS URL</c>). With <see langword="true"/>, a slot is kept by one
    /// lane at a time, only on a server whose slots are known from its <c>/props</c>, and only while no interactive
    /// request is seen there (a request pinned to a busy slot waits for it even when another is free); a lane that finds
    /// no slot to keep lets the server choose. A request that names its own <c>id_slot</c> keeps it. No effect without
    /// <see cref="UsePrefixAffinity"/>.
    /// </value>
    public bool UseSlotPinning { get; set; }

    /// <summary>Gets or sets how batch work shares a server with interactive requests.</summary>
    /// <value>
    /// The default is <see cref="LocalBatch.BatchPriority.Background"/>: batches yield slots to interactive requests (the
    /// client's own direct calls, requests proxied by <c>localbatch serve</c>, and other clients' requests seen through
    /// each server's <c>/slots</c>, or its <c>/metrics</c> where <c>/slots</c> is off).
    /// </value>
    public BatchPriority BatchPriority { get; set; } = BatchPriority.Background;

    /// <summary>
    /// Gets or sets how long after the last interactive request seen on a server batches keep leaving slots free for
    /// the next one (with <see cref="LocalBatch.BatchPriority.Background"/>).
    /// </summary>
    /// <value>The default is 5 seconds; at most 10 minutes.</value>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Read by the source-generated options validator, which checks the range with its own trim-safe copy of the attribute.")]
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan InteractiveHoldDown { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Gets or sets how many times a transiently failed request is tried again.</summary>
    /// <value>The default is 8, which with the default delays rides out about a minute of outage (a model load or restart).</value>
    [Range(0, 1000)]
    public int MaxRetryAttempts { get; set; } = 8;

    /// <summary>Gets or sets the first retry delay; later delays grow exponentially, with jitter.</summary>
    /// <value>The default is 1 second; from 1 ms to 1 day.</value>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Read by the source-generated options validator, which checks the range with its own trim-safe copy of the attribute.")]
    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00")]
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Gets or sets the longest delay between two attempts, including one asked for by <c>Retry-After</c>.</summary>
    /// <value>The default is 15 seconds.</value>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Gets or sets how long one attempt may take before it is abandoned and retried.</summary>
    /// <value>The default is 10 minutes: long generations on a CPU are normal and must not be cut.</value>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Gets or sets the level each retry of a request is logged at.</summary>
    /// <value>
    /// The default is <see cref="LogLevel.Warning"/>. A service that keeps many requests in flight (such as
    /// <c>localbatch serve</c>, which sets <see cref="LogLevel.Debug"/>) would log one line a retry of each of them during
    /// an outage; a server that fails is said once anyway, when it leaves the rotation, and once when it is back.
    /// </value>
    public LogLevel RetryLogLevel { get; set; } = LogLevel.Warning;

    /// <summary>Gets or sets how many inputs one <c>/v1/embeddings</c> call carries before a batch is split into chunks.</summary>
    /// <value>The default is 256.</value>
    [Range(1, int.MaxValue)]
    public int MaxEmbeddingInputsPerRequest { get; set; } = 256;

    /// <summary>The largest <see cref="MaxConcurrency"/> (and <see cref="RequestQueueOptions.MaxWorkers"/>) accepted: 4096.</summary>
    public const int MaxConcurrencyLimit = 4096;
}
