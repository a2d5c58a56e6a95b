using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json;
using LocalBatch.Testing;
using LocalBatch.Tests.Support;
using Microsoft.Extensions.Options;

namespace LocalBatch.Tests.Telemetry;

/// <summary>OpenTelemetry's GenAI instruments and client spans, beside the localbatch.* ones.</summary>
public sealed class GenAiTelemetryTests
{
    [Fact]
    public async Task ChatCompletion_Listened_RecordsDurationAndTokensWithTheConventionsTags()
    {
        await using var gateway = await SimulatedGateway.StartAsync();
        using var meters = new TestMeterFactory();
        using var recorded = new Recorder(meters);
        using var client = new LocalGatewayClient(new HttpClient(), Options.Create(Simulator.FastOptions(gateway, o => o.DefaultModel = "tiny")), meterFactory: meters);

        var answer = await client.CreateChatCompletionAsync(new ChatCompletionRequest { Messages = [ChatCompletionMessage.User("Hello")], MaxTokens = 4 });

        var duration = Assert.Single(recorded.Of("gen_ai.client.operation.duration"));
        Assert.Equal("chat", duration.Tags["gen_ai.operation.name"]);
        Assert.Equal("llama.cpp", duration.Tags["gen_ai.provider.name"]);
        Assert.Equal("tiny", duration.Tags["gen_ai.request.model"]);
        Assert.Equal(answer.Model, duration.Tags["gen_ai.response.model"]);
        Assert.Equal("127.0.0.1", duration.Tags["server.address"]);
        Assert.Equal(gateway.Endpoint.Port, duration.Tags["server.port"]);
        Assert.False(duration.Tags.ContainsKey("error.type"));
        var tokens = recorded.Of("gen_ai.client.token.usage");
        Assert.Equal(answer.Usage!.PromptTokens, Assert.Single(tokens, t => (string?)t.Tags["gen_ai.token.type"] == "input").Value);
        Assert.Equal(answer.Usage.CompletionTokens, Assert.Single(tokens, t => (string?)t.Tags["gen_ai.token.type"] == "output").Value);
    }

    [Fact]
    public async Task BatchLine_RawRequestRefused_RecordsItsModelAndErrorType()
    {
        await using var gateway = await SimulatedGateway.StartAsync();
        using var meters = new TestMeterFactory();
        using var recorded = new Recorder(meters);
        using var client = new LocalGatewayClient(new HttpClient(), Options.Create(Simulator.FastOptions(gateway)), meterFactory: meters);
        using var body = JsonDocument.Parse("""{"model":"my-model","prompt":"hi","max_tokens":2}""");
        using var refused = JsonDocument.Parse("""{"model":"my-model"}""");

        var ok = await client.SendAsync("/v1/completions", body.RootElement);
        var bad = await client.SendAsync("/v1/completions", refused.RootElement);

        Assert.Equal((200, 400), (ok.StatusCode, bad.StatusCode));
        var durations = recorded.Of("gen_ai.client.operation.duration");
        Assert.All(durations, d => Assert.Equal(("text_completion", "my-model"), ((string?)d.Tags["gen_ai.operation.name"], (string?)d.Tags["gen_ai.request.model"])));
        Assert.Equal("400", Assert.Single(durations, d => d.Tags.ContainsKey("error.type")).Tags["error.type"]);
        Assert.Equal(2, recorded.Of("gen_ai.client.token.usage").Count); // input and output of the one that succeeded
    }

    [Fact]
    public async Task Embeddings_Traced_SpanNamedByOperationAndModelWithServerAndUsage()
    {
        await using var gateway = await SimulatedGateway.StartAsync();
        var spans = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "LocalBatch",
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                lock (spans)
                {
                    spans.Add(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        using var client = new LocalGatewayClient(Simulator.FastOptions(gateway));

        await client.CreateEmbeddingsAsync(new EmbeddingRequest { Model = "embedder", Input = ["one", "two"] });

        Activity span;
        lock (spans)
        {
            span = Assert.Single(spans, s => s.DisplayName == "embeddings embedder" && (string?)s.GetTagItem("server.port")?.ToString() == gateway.Endpoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        Assert.Equal(ActivityKind.Client, span.Kind);
        Assert.Equal("embeddings", span.GetTagItem("gen_ai.operation.name"));
        Assert.True((int)span.GetTagItem("gen_ai.usage.input_tokens")! > 0);
    }

    /// <summary>Records the measurements of one client's meters (not other tests' ones) with their tags.</summary>
    private sealed class Recorder : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly List<(string Instrument, double Value, Dictionary<string, object?> Tags)> _measurements = [];

        public Recorder(TestMeterFactory meters)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (meters.Owns(instrument.Meter))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Add(instrument, value, tags));
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Add(instrument, value, tags));
            _listener.Start();
        }

        public List<(double Value, Dictionary<string, object?> Tags)> Of(string instrument)
        {
            lock (_measurements)
            {
                return [.. _measurements.Where(m => m.Instrument == instrument).Select(m => (m.Value, m.Tags))];
            }
        }

        public void Dispose() => _listener.Dispose();

        private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var copy = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (var tag in tags)
            {
                copy[tag.Key] = tag.Value;
            }

            lock (_measurements)
            {
                _measurements.Add((instrument.Name, value, copy));
            }
        }
    }
}
