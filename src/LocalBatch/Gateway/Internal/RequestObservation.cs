using System.Diagnostics;
using LocalBatch.Internal;

namespace LocalBatch.Gateway.Internal;

/// <summary>
/// What is measured of one logical request (retries included): the <c>localbatch.*</c> instruments, OpenTelemetry's
/// GenAI ones (<c>gen_ai.client.operation.duration</c>, <c>gen_ai.client.token.usage</c>) and a client span, the GenAI
/// parts built only while something listens.
/// </summary>
internal readonly struct RequestObservation
{
    private readonly LocalBatchMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly string _path;
    private readonly string? _operation;
    private readonly string? _model;
    private readonly long _started;
    private readonly Activity? _activity;

    private RequestObservation(LocalBatchMetrics metrics, TimeProvider time, string path, string? operation, string? model, Activity? activity)
    {
        _metrics = metrics;
        _time = time;
        _path = path;
        _operation = operation;
        _model = model;
        _activity = activity;
        _started = time.GetTimestamp();
    }

    /// <summary>Starts observing a request to <paramref name="path"/> for <paramref name="model"/> (null: the server's).</summary>
    public static RequestObservation Start(LocalBatchMetrics metrics, TimeProvider time, string path, string? model)
    {
        var operation = GenAiTelemetry.OperationOf(path);
        Activity? activity = null;
        if (operation is not null && LocalBatchMetrics.ActivitySource.HasListeners())
        {
            activity = GenAiTelemetry.StartClientActivity(operation, model);
        }

        return new RequestObservation(metrics, time, path, operation, model, activity);
    }

    /// <summary>The request got its answer (a 2xx, or, for raw requests, any final answer) from <paramref name="server"/>.</summary>
    public void Succeeded(Usage? usage, string? responseModel, ServerEndpoint? server) => Finish(usage, responseModel, errorType: null, server);

    /// <summary>The request ended without an answer, or with an error answer; <paramref name="server"/> had its last attempt.</summary>
    public void Failed(string errorType, ServerEndpoint? server) => Finish(usage: null, responseModel: null, errorType, server);

    private void Finish(Usage? usage, string? responseModel, string? errorType, ServerEndpoint? server)
    {
        var elapsed = _time.GetElapsedTime(_started);
        _metrics.RecordRequest(_path, elapsed, errorType is null, usage);
        if (_operation is null)
        {
            return;
        }

        _metrics.RecordGenAiOperation(_operation, _model, responseModel, server, elapsed, usage, errorType);
        if (_activity is { } activity)
        {
            GenAiTelemetry.CompleteClientActivity(activity, responseModel, server, usage, errorType);
        }
    }
}
