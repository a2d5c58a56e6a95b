using System.Diagnostics;
using System.Diagnostics.Metrics;
using LocalBatch.Gateway.Internal;

namespace LocalBatch.Internal;

/// <summary>The library's instruments, on the meter <c>LocalBatch</c>, and its activity source.</summary>
internal sealed class LocalBatchMetrics
{
    public const string MeterName = "LocalBatch";

    /// <summary>The activity source for batch spans.</summary>
    public static readonly ActivitySource ActivitySource = new(MeterName);

    /// <summary>The instruments on a process-wide meter, for clients built without dependency injection.</summary>
    public static readonly LocalBatchMetrics Shared = new(meterFactory: null);

    private readonly Counter<long> _requests;
    private readonly Counter<long> _failures;
    private readonly Counter<long> _retries;
    private readonly Counter<long> _tokens;
    private readonly Histogram<double> _duration;
    private readonly UpDownCounter<long> _queueDepth;
    private readonly Counter<long> _serverRequests;
    private readonly Counter<long> _serverFailures;
    private readonly UpDownCounter<long> _serverInFlight;
    private readonly UpDownCounter<long> _slotsReserved;
    private readonly UpDownCounter<long> _serverInteractive;
    private readonly Histogram<double> _genAiDuration;
    private readonly Histogram<long> _genAiTokens;

    public LocalBatchMetrics(IMeterFactory? meterFactory)
    {
        var meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _requests = meter.CreateCounter<long>("localbatch.requests", "{request}", "Requests sent to the gateway, counted once however often retried.");
        _failures = meter.CreateCounter<long>("localbatch.requests.failed", "{request}", "Requests that ended without a successful answer.");
        _retries = meter.CreateCounter<long>("localbatch.requests.retried", "{retry}", "Attempts repeated after a transient fault.");
        _tokens = meter.CreateCounter<long>("localbatch.tokens", "{token}", "Tokens used, tagged localbatch.token.type = prompt or completion.");
        _duration = meter.CreateHistogram<double>("localbatch.request.duration", "s", "Time from sending a request to its final answer, retries included.");
        _queueDepth = meter.CreateUpDownCounter<long>("localbatch.queue.depth", "{request}", "Requests waiting in a RequestQueue.");
        _serverRequests = meter.CreateCounter<long>("localbatch.server.requests", "{attempt}", "Attempts sent to one server, tagged server.address and server.port.");
        _serverFailures = meter.CreateCounter<long>("localbatch.server.requests.failed", "{attempt}", "Attempts that got no usable answer from one server.");
        _serverInFlight = meter.CreateUpDownCounter<long>("localbatch.server.in_flight", "{attempt}", "Attempts sent to one server and not yet answered, tagged localbatch.request.priority = batch or interactive.");
        _slotsReserved = meter.CreateUpDownCounter<long>("localbatch.slots.reserved", "{slot}", "Slots of one server that batches leave free for interactive requests.");
        _serverInteractive = meter.CreateUpDownCounter<long>("localbatch.server.interactive", "{request}", "Interactive requests running on one server: the client's own direct calls, proxied requests and other clients' requests seen at /slots.");
        _genAiDuration = meter.CreateHistogram("gen_ai.client.operation.duration", "s", "GenAI operation duration.", tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = GenAiTelemetry.DurationBuckets });
        _genAiTokens = meter.CreateHistogram("gen_ai.client.token.usage", "{token}", "Measures number of input and output tokens used.", tags: null, new InstrumentAdvice<long> { HistogramBucketBoundaries = GenAiTelemetry.TokenBuckets });
    }

    public void RecordRetry() => _retries.Add(1);

    /// <summary>Gets a value indicating whether a GenAI instrument has a listener (only then are its tags built).</summary>
    public bool GenAiEnabled => _genAiDuration.Enabled || _genAiTokens.Enabled;

    public void RecordRequest(string path, TimeSpan elapsed, bool success, Usage? usage)
    {
        var endpoint = new KeyValuePair<string, object?>("localbatch.endpoint", path);
        if (_requests.Enabled)
        {
            _requests.Add(1, endpoint);
        }

        if (_duration.Enabled)
        {
            _duration.Record(elapsed.TotalSeconds, endpoint);
        }

        if (!success && _failures.Enabled)
        {
            _failures.Add(1, endpoint);
        }

        if (usage is not null && _tokens.Enabled)
        {
            _tokens.Add(usage.PromptTokens, new KeyValuePair<string, object?>("localbatch.token.type", "prompt"));
            _tokens.Add(usage.CompletionTokens, new KeyValuePair<string, object?>("localbatch.token.type", "completion"));
        }
    }

    /// <summary>Records one operation in OpenTelemetry's GenAI instruments, when they are listened to.</summary>
    public void RecordGenAiOperation(string operation, string? requestModel, string? responseModel, ServerEndpoint? server, TimeSpan elapsed, Usage? usage, string? errorType)
    {
        if (!GenAiEnabled)
        {
            return;
        }

        var tags = new TagList
        {
            { "gen_ai.operation.name", operation },
            { "gen_ai.provider.name", GenAiTelemetry.ProviderName },
        };
        if (requestModel is not null)
        {
            tags.Add("gen_ai.request.model", requestModel);
        }

        if (responseModel is not null)
        {
            tags.Add("gen_ai.response.model", responseModel);
        }

        if (server is not null)
        {
            tags.Add(server.ServerAddressTag);
            tags.Add(server.ServerPortTag);
        }

        if (errorType is not null)
        {
            tags.Add("error.type", errorType);
        }

        _genAiDuration.Record(elapsed.TotalSeconds, tags);
        if (usage is not null && _genAiTokens.Enabled)
        {
            var input = tags;
            input.Add("gen_ai.token.type", "input");
            _genAiTokens.Record(usage.PromptTokens, input);
            if (operation != "embeddings")
            {
                var output = tags;
                output.Add("gen_ai.token.type", "output");
                _genAiTokens.Record(usage.CompletionTokens, output);
            }
        }
    }

    public void QueueDepthChanged(long delta) => _queueDepth.Add(delta);

    public void ServerAttemptStarted(ServerEndpoint server, bool batch)
    {
        if (_serverInFlight.Enabled)
        {
            _serverInFlight.Add(1, server.ServerAddressTag, server.ServerPortTag, PriorityTag(batch));
        }
    }

    public void ServerAttemptEnded(ServerEndpoint server, bool batch, bool answered)
    {
        if (_serverInFlight.Enabled)
        {
            _serverInFlight.Add(-1, server.ServerAddressTag, server.ServerPortTag, PriorityTag(batch));
        }

        if (_serverRequests.Enabled)
        {
            _serverRequests.Add(1, server.ServerAddressTag, server.ServerPortTag);
        }

        if (!answered && _serverFailures.Enabled)
        {
            _serverFailures.Add(1, server.ServerAddressTag, server.ServerPortTag);
        }
    }

    public void SlotsReservedChanged(ServerEndpoint server, int delta)
    {
        if (_slotsReserved.Enabled)
        {
            _slotsReserved.Add(delta, server.ServerAddressTag, server.ServerPortTag);
        }
    }

    public void InteractiveChanged(ServerEndpoint server, int delta)
    {
        if (_serverInteractive.Enabled)
        {
            _serverInteractive.Add(delta, server.ServerAddressTag, server.ServerPortTag);
        }
    }

    private static KeyValuePair<string, object?> PriorityTag(bool batch) => new("localbatch.request.priority", batch ? "batch" : "interactive");
}
