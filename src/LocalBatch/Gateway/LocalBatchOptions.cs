using System.ComponentModel.DataAnnotations;
using System.Diagnostics.CodeAnalysis;

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

    /// <summary>Gets or sets how many requests a batch keeps in flight at once; 0 means automatic.</summary>
    /// <value>
    /// The default is 0: read <c>total_slots</c> from the server's <c>/props</c> once and use it, or
    /// <see cref="FallbackConcurrency"/> when the server has no <c>/props</c>.
    /// </value>
    [Range(0, MaxConcurrencyLimit)]
    public int MaxConcurrency { get; set; }

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

    /// <summary>Gets or sets how many inputs one <c>/v1/embeddings</c> call carries before a batch is split into chunks.</summary>
    /// <value>The default is 256.</value>
    [Range(1, int.MaxValue)]
    public int MaxEmbeddingInputsPerRequest { get; set; } = 256;

    /// <summary>The concurrency used when <see cref="MaxConcurrency"/> is 0 and the server has no <c>/props</c>.</summary>
    public const int FallbackConcurrency = 4;

    /// <summary>The largest <see cref="MaxConcurrency"/> (and <see cref="RequestQueueOptions.MaxWorkers"/>) accepted: 4096.</summary>
    public const int MaxConcurrencyLimit = 4096;
}
