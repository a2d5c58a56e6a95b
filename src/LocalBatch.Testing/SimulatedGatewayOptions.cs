namespace LocalBatch.Testing;

/// <summary>
/// Options of a <see cref="SimulatedGateway"/>. The gateway keeps the instance it was started with and reads
/// most properties on every request, so a test may change them between requests; <see cref="Slots"/> and
/// <see cref="FaultSeed"/> are read once, when the gateway starts.
/// </summary>
public sealed class SimulatedGatewayOptions
{
    /// <summary>
    /// Gets or sets the number of requests decoded at once (<c>total_slots</c> in <c>/props</c>, <c>-np</c> of
    /// llama-server). Generation requests beyond it wait in a queue for a free slot; they are never refused.
    /// Read once, when the gateway starts.
    /// </summary>
    /// <value>The default is 4. Must be at least 1.</value>
    public int Slots { get; set; } = 4;

    /// <summary>
    /// Gets or sets the fixed time each generation request (completions, chat completions, embeddings)
    /// holds its slot.
    /// </summary>
    /// <value>The default is <see cref="TimeSpan.Zero"/>.</value>
    public TimeSpan Latency { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// Gets or sets the extra time a completion or chat completion request holds its slot for each completion
    /// token it generates. Streamed requests wait this long before each token's chunk.
    /// </summary>
    /// <value>The default is <see cref="TimeSpan.Zero"/>.</value>
    public TimeSpan LatencyPerToken { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// Gets or sets what each other busy slot adds to a completion token's time: a CPU llama-server decodes one token of
    /// every busy slot in one step, whose time grows with the slots in it, so a slot more adds less than its share of
    /// throughput (and a request alone runs faster than beside others). Applied to unstreamed answers, in steps of a few
    /// tokens, with the slots busy at each step.
    /// </summary>
    /// <value>The default is <see cref="TimeSpan.Zero"/>: each slot decodes as if alone (a GPU's batch, roughly).</value>
    public TimeSpan LatencyPerTokenPerBusySlot { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// Gets or sets the extra time a completion or chat completion request holds its slot for each prompt token it
    /// processes: every prompt token, or with <see cref="PromptCache"/> set, those not reused from the slot's cached
    /// prompt. Reported in <c>timings.prompt_ms</c> (with <see cref="Latency"/>).
    /// </summary>
    /// <value>The default is <see cref="TimeSpan.Zero"/>.</value>
    public TimeSpan LatencyPerPromptToken { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// Gets or sets the extra time an embeddings request holds its slot for each input in it, on top of
    /// <see cref="Latency"/> once per request, so that one call with an array of N inputs (<c>Latency + N ×
    /// EmbeddingLatencyPerInput</c>) is cheaper than N calls of one input (<c>N × (Latency +
    /// EmbeddingLatencyPerInput)</c>), as on a real server. With <see cref="Latency"/> at 2 ms and this at 3.5 ms,
    /// 64 inputs in one call take 226 ms of slot time and in 64 calls 352 ms: 1.56 times as long, as measured on a
    /// CPU llama-server (1.5 to 1.6).
    /// </summary>
    /// <value>The default is <see cref="TimeSpan.Zero"/>.</value>
    public TimeSpan EmbeddingLatencyPerInput { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// Gets or sets the model of llama-server's prompt cache: each slot keeps its last prompt and reuses the longest
    /// common prefix with the next prompt it takes, which costs no <see cref="LatencyPerPromptToken"/> and is
    /// reported as <c>cached_tokens</c>; and a request takes the idle slot whose cached prompt is most similar. See
    /// <see cref="SimulatedPromptCacheOptions"/>. Read on every request.
    /// </summary>
    /// <value>
    /// The default is <see langword="null"/>: no prompt is cached (<c>cached_tokens</c> is 0) and a request takes
    /// the least recently used idle slot. Either way, a completion or chat request with <c>id_slot</c> ≥ 0 waits for
    /// slot <c>id_slot % Slots</c>.
    /// </value>
    public SimulatedPromptCacheOptions? PromptCache { get; set; }

    /// <summary>
    /// Gets or sets the API key the gateway requires, like llama-server's <c>--api-key</c>. When set, every
    /// route except <c>/health</c>, <c>/v1/health</c>, <c>/models</c> and <c>/v1/models</c> needs it, as
    /// <c>Authorization: Bearer KEY</c>, <c>Authorization: KEY</c> or <c>X-Api-Key: KEY</c>. The key is checked
    /// before routing, so an unknown route without the key answers 401, not 404.
    /// </summary>
    /// <value>The default is <see langword="null"/>: no key needed.</value>
    public string? ApiKey { get; set; }

    /// <summary>
    /// Gets or sets the name of the loaded model, reported in every response's <c>model</c> field, in
    /// <c>/v1/models</c> and as <c>model_path</c> in <c>/props</c>. The <c>model</c> field of requests is ignored.
    /// </summary>
    /// <value>The default is <c>simulated-model.gguf</c>.</value>
    public string ModelName { get; set; } = "simulated-model.gguf";

    /// <summary>
    /// Gets or sets a value indicating whether <c>/v1/embeddings</c> works, like llama-server started with
    /// <c>--embeddings</c>. When <see langword="false"/>, it answers 501 <c>not_supported_error</c>.
    /// </summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool EnableEmbeddings { get; set; } = true;

    /// <summary>
    /// Gets or sets a value indicating whether <c>/props</c> is served. When <see langword="false"/>, it answers
    /// 404 <c>not_found_error</c>, like a gateway that hides it.
    /// </summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool EnableProps { get; set; } = true;

    /// <summary>
    /// Gets or sets a value indicating whether <c>GET /slots</c> is served (each slot's <c>is_processing</c> and
    /// <c>id_task</c>), as llama-server does by default. When <see langword="false"/>, it answers 501
    /// <c>not_supported_error</c>, like a server started with <c>--no-slots</c>. Looks at <c>/slots</c> and
    /// <c>/metrics</c> are counted only by <see cref="SimulatedGatewayCounters.GetRequests"/>, never in
    /// <see cref="SimulatedGatewayCounters.TotalRequests"/>, and never get a fault.
    /// </summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool EnableSlots { get; set; } = true;

    /// <summary>
    /// Gets or sets a value indicating whether <c>GET /metrics</c> is served (Prometheus text with
    /// <c>llamacpp:requests_processing</c> and <c>llamacpp:requests_deferred</c>), as with llama-server's
    /// <c>--metrics</c>. When <see langword="false"/>, it answers 501 <c>not_supported_error</c>, as llama-server does by default.
    /// </summary>
    /// <value>The default is <see langword="false"/>.</value>
    public bool EnableMetrics { get; set; }

    /// <summary>
    /// Gets or sets the context size of one slot (<c>n_ctx</c>), in tokens. A completion or chat prompt longer
    /// than this answers 400 <c>exceed_context_size_error</c>; generation stops when prompt and completion
    /// together fill the context.
    /// </summary>
    /// <value>The default is 4096. Must be at least 1.</value>
    public int ContextSize { get; set; } = 4096;

    /// <summary>
    /// Gets or sets the largest number of tokens one embedding input may have (the physical batch size of
    /// llama-server). A longer input answers 500 <c>input (N tokens) is too large to process. increase the
    /// physical batch size (current batch size: 512)</c>.
    /// </summary>
    /// <value>The default is 512. Must be at least 1.</value>
    public int MaxEmbeddingTokensPerInput { get; set; } = 512;

    /// <summary>
    /// Gets or sets the largest number of tokens, summed over all inputs, one embeddings request may have. A
    /// larger request answers the same 500 error as <see cref="MaxEmbeddingTokensPerInput"/>, with the sum and
    /// this limit in the message, so that tests can exercise splitting a request into smaller chunks.
    /// </summary>
    /// <value>The default is <see langword="null"/>: no limit per request.</value>
    public int? MaxEmbeddingTokensPerRequest { get; set; }

    /// <summary>
    /// Gets or sets the length of every embedding vector.
    /// </summary>
    /// <value>The default is 16. Must be at least 1.</value>
    public int EmbeddingDimensions { get; set; } = 16;

    /// <summary>
    /// Gets or sets the number of completion tokens generated when a request gives neither <c>n_predict</c>,
    /// <c>max_tokens</c> nor <c>max_completion_tokens</c>.
    /// </summary>
    /// <value>The default is 16.</value>
    public int DefaultMaxTokens { get; set; } = 16;

    /// <summary>
    /// Gets or sets the probability, from 0 to 1, that a generation request gets a random fault of one of the
    /// <see cref="RandomFaultKinds"/>. Random faults come after scripted faults and
    /// <see cref="FaultSelector"/>.
    /// </summary>
    /// <value>The default is 0: no random faults.</value>
    public double FaultRate { get; set; }

    /// <summary>
    /// Gets or sets the kinds of fault drawn (uniformly) when <see cref="FaultRate"/> is above zero.
    /// </summary>
    /// <value>The default is <see cref="SimulatedFaultKind.ServiceUnavailable"/> alone.</value>
    public IReadOnlyList<SimulatedFaultKind> RandomFaultKinds { get; set; } = [SimulatedFaultKind.ServiceUnavailable];

    /// <summary>
    /// Gets or sets the seed of the random fault generator. Read once, when the gateway starts.
    /// </summary>
    /// <value>The default is 42.</value>
    public int FaultSeed { get; set; } = 42;

    /// <summary>
    /// Gets or sets a hook called for every generation request that got no scripted fault: return a fault to
    /// inject, or <see langword="null"/> for normal handling. It runs on the request's thread, possibly on
    /// several threads at once. If it throws, the request answers 500 <c>server_error</c> with the exception's
    /// message.
    /// </summary>
    /// <value>The default is <see langword="null"/>.</value>
    public Func<SimulatedRequest, SimulatedFault?>? FaultSelector { get; set; }

    internal void Validate()
    {
        var errors = new List<string>();
        if (Slots < 1)
        {
            errors.Add($"{nameof(Slots)} must be at least 1 (was {Slots}).");
        }

        if (ContextSize < 1)
        {
            errors.Add($"{nameof(ContextSize)} must be at least 1 (was {ContextSize}).");
        }

        if (MaxEmbeddingTokensPerInput < 1)
        {
            errors.Add($"{nameof(MaxEmbeddingTokensPerInput)} must be at least 1 (was {MaxEmbeddingTokensPerInput}).");
        }

        if (MaxEmbeddingTokensPerRequest is < 1)
        {
            errors.Add($"{nameof(MaxEmbeddingTokensPerRequest)} must be null or at least 1 (was {MaxEmbeddingTokensPerRequest}).");
        }

        if (EmbeddingDimensions < 1)
        {
            errors.Add($"{nameof(EmbeddingDimensions)} must be at least 1 (was {EmbeddingDimensions}).");
        }

        if (DefaultMaxTokens < 0)
        {
            errors.Add($"{nameof(DefaultMaxTokens)} must not be negative (was {DefaultMaxTokens}).");
        }

        if (FaultRate is < 0 or > 1 || double.IsNaN(FaultRate))
        {
            errors.Add($"{nameof(FaultRate)} must be between 0 and 1 (was {FaultRate}).");
        }

        if (LatencyPerTokenPerBusySlot < TimeSpan.Zero)
        {
            errors.Add($"{nameof(LatencyPerTokenPerBusySlot)} must not be negative (was {LatencyPerTokenPerBusySlot}).");
        }

        if (Latency < TimeSpan.Zero)
        {
            errors.Add($"{nameof(Latency)} must not be negative (was {Latency}).");
        }

        if (LatencyPerToken < TimeSpan.Zero)
        {
            errors.Add($"{nameof(LatencyPerToken)} must not be negative (was {LatencyPerToken}).");
        }

        if (LatencyPerPromptToken < TimeSpan.Zero)
        {
            errors.Add($"{nameof(LatencyPerPromptToken)} must not be negative (was {LatencyPerPromptToken}).");
        }

        if (EmbeddingLatencyPerInput < TimeSpan.Zero)
        {
            errors.Add($"{nameof(EmbeddingLatencyPerInput)} must not be negative (was {EmbeddingLatencyPerInput}).");
        }

        PromptCache?.Validate(errors);

        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid simulated gateway options: " + string.Join(" ", errors), "options");
        }
    }
}
