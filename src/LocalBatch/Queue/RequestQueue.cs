using System.Diagnostics.CodeAnalysis;
using System.Threading.Channels;
using LocalBatch.Queue.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace LocalBatch;

/// <summary>
/// A long-lived queue of gateway requests (or any async work) run by a fixed set of workers, with each result kept
/// by its request id until it is read.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="SubmitAsync(string, CompletionRequest, CancellationToken)"/> writes to a bounded channel of
/// <see cref="RequestQueueOptions.Capacity"/> requests and waits while it is full, so a fast producer never fills memory.
/// <see cref="RequestQueueOptions.MaxWorkers"/> workers, started with the queue, send each request through the
/// <see cref="LocalGatewayClient"/> (and its retries). A failed request becomes that request's
/// <see cref="RequestStatus.Failed"/> result; it never stops a worker.
/// </para>
/// <para>
/// <see cref="GetResultAsync(string, TimeSpan, CancellationToken)"/> waits for one result without polling, and releases
/// it once read (see <see cref="RequestQueueOptions.KeepResultsAfterRead"/>); <see cref="WaitCompletionAsync"/> waits for
/// everything submitted so far. Disposal stops intake, lets queued and running requests finish (until
/// <see cref="RequestQueueOptions.DrainTimeout"/>), and marks whatever it cancelled <see cref="RequestStatus.Cancelled"/>:
/// no submitted request is dropped silently, and results stay readable after disposal.
/// </para>
/// <code>
/// await using var queue = new RequestQueue(client, new RequestQueueOptions { MaxWorkers = 5 });
/// await queue.SubmitAsync("req-1", new CompletionRequest { Prompt = "Write a haiku", MaxTokens = 50 });
/// var result = await queue.GetResultAsync("req-1", TimeSpan.FromSeconds(30));
/// if (result.Status == RequestStatus.Completed)
/// {
///     Console.WriteLine(result.GetValue&lt;CompletionResponse&gt;().Text);
/// }
/// </code>
/// <para>It is thread-safe: any number of producers and consumers may use it at once.</para>
/// </remarks>
public sealed class RequestQueue : IAsyncDisposable
{
    private readonly LocalGatewayClient _client;
    private readonly Channel<QueuedRequest> _channel;
    private readonly ResultStore _results;
    private readonly Lock _stopLock = new();
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly QueueWorkerPool _pool;
    private Task? _stopping;

    /// <summary>Initializes a new instance of the <see cref="RequestQueue"/> class and starts its workers.</summary>
    /// <param name="client">The gateway client the workers send with; the queue does not dispose it.</param>
    /// <param name="options">The queue's settings; the defaults when <see langword="null"/>.</param>
    /// <param name="logger">Where failures and shutdowns are logged; none by default.</param>
    /// <param name="timeProvider">The clock for timestamps and timeouts; the client's clock (<see cref="TimeProvider.System"/> unless it was given another) by default.</param>
    /// <exception cref="ArgumentNullException"><paramref name="client"/> is <see langword="null"/>.</exception>
    /// <exception cref="OptionsValidationException">The options are not valid; the message lists every problem.</exception>
    public RequestQueue(LocalGatewayClient client, RequestQueueOptions? options = null, ILogger<RequestQueue>? logger = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        options ??= new RequestQueueOptions();
        RequestQueueOptionsValidator.ThrowIfInvalid(options);

        _client = client;
        _timeProvider = timeProvider ?? client.TimeProvider;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _results = new ResultStore(options, _timeProvider, _logger);
        _channel = Channel.CreateBounded<QueuedRequest>(new BoundedChannelOptions(options.Capacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = false,
            SingleWriter = false,
        });

        _pool = new QueueWorkerPool(_channel, _results, client, options.MaxWorkers, options.DrainTimeout, _timeProvider, _logger);
    }

    /// <summary>Gets a snapshot of the queue's counters.</summary>
    public RequestQueueStats Stats => new(
        _pool.Workers,
        _channel.Reader.Count,
        _pool.Running,
        _pool.Completed,
        _pool.Failed,
        _pool.Cancelled,
        _pool.PeakConcurrency,
        _results.Retained);

    /// <summary>Queues a completion request (<c>POST /v1/completions</c>); its result's value is a <see cref="CompletionResponse"/>.</summary>
    /// <param name="requestId">The id to read the result by; unique among the requests queued or kept.</param>
    /// <param name="request">The request.</param>
    /// <param name="cancellationToken">Stops waiting for room in the queue; once queued, the request is no longer affected by it.</param>
    /// <returns>A task that completes when the request is queued (at once unless the queue is full).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="requestId"/> or <paramref name="request"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="requestId"/> is empty, or a request with that id is already queued or kept.</exception>
    /// <exception cref="ObjectDisposedException">The queue is stopping or disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled before there was room; the request was not queued.</exception>
    public Task SubmitAsync(string requestId, CompletionRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Submit(requestId, async ct => await _client.CreateCompletionAsync(request, ct).ConfigureAwait(false), cancellationToken);
    }

    /// <summary>Queues a chat completion request (<c>POST /v1/chat/completions</c>); its result's value is a <see cref="ChatCompletionResponse"/>.</summary>
    /// <param name="requestId">The id to read the result by; unique among the requests queued or kept.</param>
    /// <param name="request">The request.</param>
    /// <param name="cancellationToken">Stops waiting for room in the queue; once queued, the request is no longer affected by it.</param>
    /// <returns>A task that completes when the request is queued (at once unless the queue is full).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="requestId"/> or <paramref name="request"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="requestId"/> is empty, or a request with that id is already queued or kept.</exception>
    /// <exception cref="ObjectDisposedException">The queue is stopping or disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled before there was room; the request was not queued.</exception>
    public Task SubmitAsync(string requestId, ChatCompletionRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Submit(requestId, async ct => await _client.CreateChatCompletionAsync(request, ct).ConfigureAwait(false), cancellationToken);
    }

    /// <summary>Queues an embeddings request (<c>POST /v1/embeddings</c>); its result's value is an <see cref="EmbeddingResponse"/>.</summary>
    /// <param name="requestId">The id to read the result by; unique among the requests queued or kept.</param>
    /// <param name="request">The request.</param>
    /// <param name="cancellationToken">Stops waiting for room in the queue; once queued, the request is no longer affected by it.</param>
    /// <returns>A task that completes when the request is queued (at once unless the queue is full).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="requestId"/> or <paramref name="request"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="requestId"/> is empty, or a request with that id is already queued or kept.</exception>
    /// <exception cref="ObjectDisposedException">The queue is stopping or disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled before there was room; the request was not queued.</exception>
    public Task SubmitAsync(string requestId, EmbeddingRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Submit(requestId, async ct => await _client.CreateEmbeddingsAsync(request, ct).ConfigureAwait(false), cancellationToken);
    }

    /// <summary>Queues any async work that produces a value; the result's value is what the work returns.</summary>
    /// <typeparam name="TResult">The type of the work's value.</typeparam>
    /// <param name="requestId">The id to read the result by; unique among the requests queued or kept.</param>
    /// <param name="work">
    /// The work. Its token is cancelled when the queue's shutdown cancels running requests; work that ignores it is
    /// abandoned (marked <see cref="RequestStatus.Cancelled"/>) at that point. An exception it throws becomes the
    /// result's <see cref="RequestResult.Error"/>.
    /// </param>
    /// <param name="cancellationToken">Stops waiting for room in the queue; once queued, the work is no longer affected by it.</param>
    /// <returns>A task that completes when the work is queued (at once unless the queue is full).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="requestId"/> or <paramref name="work"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="requestId"/> is empty, or a request with that id is already queued or kept.</exception>
    /// <exception cref="ObjectDisposedException">The queue is stopping or disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled before there was room; the work was not queued.</exception>
    public Task SubmitAsync<TResult>(string requestId, Func<CancellationToken, Task<TResult>> work, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        return Submit(requestId, async ct => await work(ct).ConfigureAwait(false), cancellationToken);
    }

    /// <summary>Queues any async work without a value; the result's value is <see langword="null"/>.</summary>
    /// <param name="requestId">The id to read the result by; unique among the requests queued or kept.</param>
    /// <param name="work">
    /// The work. Its token is cancelled when the queue's shutdown cancels running requests; work that ignores it is
    /// abandoned (marked <see cref="RequestStatus.Cancelled"/>) at that point. An exception it throws becomes the
    /// result's <see cref="RequestResult.Error"/>.
    /// </param>
    /// <param name="cancellationToken">Stops waiting for room in the queue; once queued, the work is no longer affected by it.</param>
    /// <returns>A task that completes when the work is queued (at once unless the queue is full).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="requestId"/> or <paramref name="work"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="requestId"/> is empty, or a request with that id is already queued or kept.</exception>
    /// <exception cref="ObjectDisposedException">The queue is stopping or disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled before there was room; the work was not queued.</exception>
    public Task SubmitAsync(string requestId, Func<CancellationToken, Task> work, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        return Submit(
            requestId,
            async ct =>
            {
                await work(ct).ConfigureAwait(false);
                return null;
            },
            cancellationToken);
    }

    /// <summary>Waits for a request to finish, however long it takes, and returns its result.</summary>
    /// <param name="requestId">The id the request was submitted with.</param>
    /// <param name="cancellationToken">Stops waiting; the request itself goes on.</param>
    /// <returns>The final result: <see cref="RequestStatus.Completed"/>, <see cref="RequestStatus.Failed"/> or <see cref="RequestStatus.Cancelled"/>. Unless results are kept after reading, it is released.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="requestId"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="requestId"/> is empty.</exception>
    /// <exception cref="KeyNotFoundException">No request with that id is queued or kept: it was never submitted, or its result was already read and released, or dropped by the retention limits.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Task<RequestResult> GetResultAsync(string requestId, CancellationToken cancellationToken = default) =>
        GetResultAsync(requestId, Timeout.InfiniteTimeSpan, cancellationToken);

    /// <summary>Waits up to <paramref name="timeout"/> for a request to finish and returns its result.</summary>
    /// <param name="requestId">The id the request was submitted with.</param>
    /// <param name="timeout">How long to wait; <see cref="TimeSpan.Zero"/> looks without waiting, <see cref="Timeout.InfiniteTimeSpan"/> waits for ever.</param>
    /// <param name="cancellationToken">Stops waiting; the request itself goes on.</param>
    /// <returns>
    /// The final result (<see cref="RequestStatus.Completed"/>, <see cref="RequestStatus.Failed"/> or
    /// <see cref="RequestStatus.Cancelled"/>), which is then released unless results are kept after reading; or, when the
    /// timeout passed first, a <see cref="RequestStatus.TimedOut"/> snapshot, and the request goes on and can be waited for again.
    /// </returns>
    /// <exception cref="ArgumentNullException"><paramref name="requestId"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="requestId"/> is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is negative and not <see cref="Timeout.InfiniteTimeSpan"/>.</exception>
    /// <exception cref="KeyNotFoundException">No request with that id is queued or kept: it was never submitted, or its result was already read and released, or dropped by the retention limits.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (a timeout does not throw).</exception>
    public Task<RequestResult> GetResultAsync(string requestId, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(requestId);
        if (timeout < TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "The timeout must be zero or positive, or Timeout.InfiniteTimeSpan.");
        }

        if (!_results.TryGet(requestId, out var request))
        {
            throw UnknownRequest(requestId);
        }

        return WaitForResultAsync(request, timeout, cancellationToken);
    }

    /// <summary>Looks at a request without waiting.</summary>
    /// <param name="requestId">The id the request was submitted with.</param>
    /// <param name="result">
    /// Its latest snapshot: <see cref="RequestStatus.Pending"/>, <see cref="RequestStatus.Running"/>, or final (which is then
    /// released unless results are kept after reading); <see langword="null"/> when the method returns <see langword="false"/>.
    /// </param>
    /// <returns><see langword="true"/> when a request with that id is queued or kept; otherwise <see langword="false"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="requestId"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="requestId"/> is empty.</exception>
    public bool TryGetResult(string requestId, [NotNullWhen(true)] out RequestResult? result)
    {
        ArgumentException.ThrowIfNullOrEmpty(requestId);
        if (!_results.TryGet(requestId, out var request))
        {
            result = null;
            return false;
        }

        result = request.Current;
        if (result.IsFinished)
        {
            _results.OnRead(request);
        }

        return true;
    }

    /// <summary>Waits until every request submitted so far has finished (completed, failed or cancelled).</summary>
    /// <param name="cancellationToken">Stops waiting; the requests go on.</param>
    /// <returns>A task that completes when they have all finished; their results stay until read.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Task WaitCompletionAsync(CancellationToken cancellationToken = default)
    {
        var unfinished = _results.GetUnfinished();
        return unfinished.Count == 0 ? Task.CompletedTask : Task.WhenAll(unfinished).WaitAsync(cancellationToken);
    }

    /// <summary>
    /// Stops intake and lets the queued and running requests finish; when <paramref name="cancellationToken"/> is cancelled or
    /// <see cref="RequestQueueOptions.DrainTimeout"/> passes first, cancels them and marks every one that did not finish
    /// <see cref="RequestStatus.Cancelled"/>. Results stay readable. Calling it again waits for the same shutdown.
    /// </summary>
    /// <param name="cancellationToken">Ends the graceful part of the shutdown: what has not finished is cancelled.</param>
    /// <returns>A task that completes when every worker has stopped and every request is accounted for.</returns>
    public Task StopAsync(CancellationToken cancellationToken = default)
    {
        Task stopping;
        lock (_stopLock)
        {
            stopping = _stopping ??= _pool.StopAsync();
        }

        return !cancellationToken.CanBeCanceled || stopping.IsCompleted ? stopping : WaitStoppedAsync(stopping, cancellationToken);
    }

    /// <summary>Stops the queue as <see cref="StopAsync"/> does, without a token (so bounded only by <see cref="RequestQueueOptions.DrainTimeout"/>), then releases its resources.</summary>
    /// <returns>A task that completes when the queue has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _pool.Dispose();
    }

    private static KeyNotFoundException UnknownRequest(string requestId) =>
        new($"No request with id '{requestId}' is queued or kept: it was never submitted, or its result was already read (and released, as RequestQueueOptions.KeepResultsAfterRead is off) or dropped by RequestQueueOptions.MaxRetainedResults or ResultRetention.");

    private static ObjectDisposedException Stopped() =>
        new(nameof(RequestQueue), "The queue no longer accepts requests: it is stopping or disposed.");

    private Task Submit(string requestId, Func<CancellationToken, Task<object?>> work, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(requestId);
        if (Volatile.Read(ref _stopping) is not null)
        {
            throw Stopped();
        }

        var request = new QueuedRequest(requestId, work, _timeProvider.GetUtcNow());
        if (!_results.TryAdd(request))
        {
            throw new ArgumentException($"A request with id '{requestId}' is already queued or kept; an id can be used again once its result has been read and released.", nameof(requestId));
        }

        return EnqueueAsync(request, cancellationToken);
    }

    private async Task EnqueueAsync(QueuedRequest request, CancellationToken cancellationToken)
    {
        try
        {
            // Back-pressure: waits here while Capacity requests are queued.
            await _channel.Writer.WriteAsync(request, cancellationToken).ConfigureAwait(false);
            _client.Metrics.QueueDepthChanged(1);
        }
        catch (Exception ex) when (ex is ChannelClosedException or OperationCanceledException)
        {
            // Not queued: forget the id, and wake anyone already waiting on it.
            _results.Remove(request);
            if (request.TryFinish(RequestStatus.Cancelled, value: null, error: null, _timeProvider.GetUtcNow(), out var final))
            {
                request.Publish(final);
            }

            if (ex is ChannelClosedException)
            {
                throw Stopped();
            }

            throw;
        }
    }

    private async Task<RequestResult> WaitForResultAsync(QueuedRequest request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        RequestResult result;
        try
        {
            result = await request.Completion.WaitAsync(timeout, _timeProvider, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            result = request.Current;
            if (!result.IsFinished)
            {
                return result with { Status = RequestStatus.TimedOut };
            }
        }

        _results.OnRead(request);
        return result;
    }

    private async Task WaitStoppedAsync(Task stopping, CancellationToken cancellationToken)
    {
        using var registration = cancellationToken.Register(static state => ((QueueWorkerPool)state!).Abort(), _pool);
        await stopping.ConfigureAwait(false);
    }
}
