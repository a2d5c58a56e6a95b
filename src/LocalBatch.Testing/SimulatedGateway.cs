using System.Globalization;
using System.Net;
using System.Net.Sockets;
using LocalBatch.Testing.Internal;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace LocalBatch.Testing;

/// <summary>
/// A simulated llama.cpp server (<c>llama-server</c>) running in-process on <c>127.0.0.1</c>: the
/// OpenAI-compatible completions, chat completions, embeddings and responses routes, Anthropic's <c>/v1/messages</c>,
/// plus <c>/v1/models</c>, <c>/health</c> and <c>/props</c>, with the response shapes, status codes and error bodies of
/// the real server, a fixed number of parallel slots, configurable latency, failure injection and counters.
/// </summary>
/// <remarks>
/// <para>
/// Outputs are deterministic: a token is a whitespace-separated word (at least 1 per text; a chat prompt
/// counts its messages' words plus 4 per message); the generated text and the embeddings are derived from a
/// stable hash of the input, so the same prompt always gives the same text and the same text the same
/// embedding, in any process. A completion generates <c>n_predict</c>, <c>max_tokens</c>,
/// <c>max_completion_tokens</c> or <see cref="SimulatedGatewayOptions.DefaultMaxTokens"/> words (no more than
/// fit in the context) and always finishes with <c>"length"</c>.
/// </para>
/// <para>
/// <c>/v1/responses</c> and <c>/v1/messages</c> are read into a chat as llama-server reads them (<c>instructions</c>
/// or <c>system</c> first, as a system message; <c>max_output_tokens</c> or <c>max_tokens</c> words) and answered
/// unstreamed, whatever <c>stream</c> says, as a Response object or an Anthropic Message. As on llama-server, a
/// response without <c>input</c> is a 400, and a message without <c>messages</c> a 500.
/// </para>
/// <para>
/// A generation request (completions, chat completions, embeddings, responses, messages) is answered in this order: loading mode
/// (503), API key (401), routing (404), fault injection, body and validation errors (400, 500, 501); then it
/// waits for one of <see cref="SimulatedGatewayOptions.Slots"/> slots (the one its <c>id_slot</c> names, if any),
/// holds it for <see cref="SimulatedGatewayOptions.Latency"/> (plus
/// <see cref="SimulatedGatewayOptions.LatencyPerPromptToken"/> per prompt token not reused from the slot's cached
/// prompt and <see cref="SimulatedGatewayOptions.LatencyPerToken"/> per completion token, or
/// <see cref="SimulatedGatewayOptions.EmbeddingLatencyPerInput"/> per embedding input), waits while the gateway is
/// paused, and answers. One request takes one slot, whatever the number of prompts or choices in it.
/// </para>
/// <para>
/// With <see cref="SimulatedGatewayOptions.PromptCache"/> set, each slot keeps its last prompt and a request takes
/// the idle slot whose cached prompt shares the longest prefix with its own, as llama-server does; see
/// <see cref="SimulatedPromptCacheOptions"/>.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// await using var gateway = await SimulatedGateway.StartAsync(new SimulatedGatewayOptions { Slots = 2 });
/// using var http = new HttpClient { BaseAddress = gateway.Endpoint };
/// var response = await http.PostAsync("/v1/completions", JsonContent.Create(new { prompt = "Hello" }));
/// </code>
/// </example>
public sealed class SimulatedGateway : IAsyncDisposable
{
    private static readonly TimeSpan s_rebindTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan s_rebindInterval = TimeSpan.FromMilliseconds(50);

    private readonly GatewayEngine _engine;
    private readonly ConditionWaiters _waiters = new();
    private readonly SemaphoreSlim _lifecycle = new(1, 1);
    private WebApplication? _app;
    private int _port;

    // While stopped, the port stays bound (not listening: connections are refused as by a crashed server), so that no
    // other server started meanwhile on a free port (port 0), by this process or another, is given this one and answers
    // in its place: the kernel does not hand out a bound port.
    private Socket? _portHold;
    private bool _disposed;

    private SimulatedGateway(SimulatedGatewayOptions options)
    {
        Options = options;
        Counters = new SimulatedGatewayCounters(_waiters, options.Slots);
        _engine = new GatewayEngine(options, Counters, TimeProvider.System);
        Endpoint = new Uri("http://127.0.0.1/");
    }

    /// <summary>
    /// Gets the address of the gateway, for example <c>http://127.0.0.1:41234/</c>; it stays the same across
    /// <see cref="StopListeningAsync"/> and <see cref="StartListeningAsync"/>.
    /// </summary>
    public Uri Endpoint { get; private set; }

    /// <summary>
    /// Gets the options the gateway was started with. They are live: changes made between requests apply to
    /// the next requests, except <see cref="SimulatedGatewayOptions.Slots"/> and
    /// <see cref="SimulatedGatewayOptions.FaultSeed"/>, which are read once at start.
    /// </summary>
    public SimulatedGatewayOptions Options { get; }

    /// <summary>
    /// Gets the live counters of the gateway. They survive <see cref="StopListeningAsync"/> and
    /// <see cref="StartListeningAsync"/>.
    /// </summary>
    public SimulatedGatewayCounters Counters { get; }

    /// <summary>
    /// Starts a simulated gateway on <c>127.0.0.1</c> and a free port.
    /// </summary>
    /// <param name="options">The options; kept and read live by the gateway. <see langword="null"/> for the defaults.</param>
    /// <param name="cancellationToken">The token to cancel the start.</param>
    /// <returns>The gateway, listening.</returns>
    /// <exception cref="ArgumentException"><paramref name="options"/> has invalid values (all are reported together).</exception>
    public static async Task<SimulatedGateway> StartAsync(SimulatedGatewayOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new SimulatedGatewayOptions();
        options.Validate();
        var gateway = new SimulatedGateway(options);
        try
        {
            await gateway.StartListeningAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await gateway.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return gateway;
    }

    /// <summary>
    /// Scripts a fault: the next request whose path equals <see cref="SimulatedFault.Path"/> (when it is set), or
    /// the next generation request (when it is not), gets this fault instead of its normal answer. Scripted
    /// faults are taken in the order they were enqueued, before <see cref="SimulatedGatewayOptions.FaultSelector"/>
    /// and random faults.
    /// </summary>
    /// <param name="fault">The fault.</param>
    /// <exception cref="ArgumentNullException"><paramref name="fault"/> is <see langword="null"/>.</exception>
    public void EnqueueFault(SimulatedFault fault)
    {
        ArgumentNullException.ThrowIfNull(fault);
        _engine.EnqueueFault(fault);
    }

    /// <summary>
    /// Turns loading mode on or off. While on, every route, <c>/health</c> included, answers 503
    /// <c>{"error":{"message":"Loading model","type":"unavailable_error","code":503}}</c>, like llama-server
    /// while it loads its model. These answers are not counted as injected faults.
    /// </summary>
    /// <param name="loading"><see langword="true"/> to answer 503 to everything.</param>
    public void SetLoading(bool loading) => _engine.Loading = loading;

    /// <summary>
    /// Pauses generation: a generation request that has a slot (or gets one while paused) keeps it and waits,
    /// after its latency and before its answer, until <see cref="Resume"/>; the others wait for a slot. All of
    /// them count in <see cref="SimulatedGatewayCounters.InFlight"/>, and at most
    /// <see cref="SimulatedGatewayOptions.Slots"/> are in <see cref="SimulatedGatewayCounters.PeakActiveSlots"/>.
    /// Errors, faults that replace the answer and the GET routes are answered as usual.
    /// </summary>
    public void Pause() => _engine.Pause();

    /// <summary>
    /// Ends a <see cref="Pause"/>: requests holding a slot answer and give their slot to the requests waiting
    /// for one. Does nothing when the gateway is not paused.
    /// </summary>
    public void Resume() => _engine.Resume();

    /// <summary>
    /// Waits until <see cref="SimulatedGatewayCounters.InFlight"/> is at least <paramref name="count"/>.
    /// </summary>
    /// <param name="count">The number of generation requests in flight to wait for.</param>
    /// <param name="cancellationToken">The token to stop waiting.</param>
    /// <returns>A task that completes when the condition holds.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled first.</exception>
    /// <exception cref="ObjectDisposedException">The gateway was disposed first.</exception>
    public Task WaitForInFlightAsync(int count, CancellationToken cancellationToken = default) =>
        _waiters.WaitAsync(() => Counters.InFlight >= count, cancellationToken);

    /// <summary>
    /// Waits until <see cref="SimulatedGatewayCounters.TotalRequests"/> is at least <paramref name="count"/>.
    /// Requests are counted on arrival, before they are answered.
    /// </summary>
    /// <param name="count">The number of requests to wait for.</param>
    /// <param name="cancellationToken">The token to stop waiting.</param>
    /// <returns>A task that completes when the condition holds.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled first.</exception>
    /// <exception cref="ObjectDisposedException">The gateway was disposed first.</exception>
    public Task WaitForRequestsAsync(long count, CancellationToken cancellationToken = default) =>
        _waiters.WaitAsync(() => Counters.TotalRequests >= count, cancellationToken);

    /// <summary>
    /// Waits until no request is being handled: every request received so far, on every route, has been answered (or
    /// abandoned) and counted. A request's last counters change after its response is written, which may be after the
    /// client has read it: await this once the expected responses have arrived, then assert
    /// <see cref="SimulatedGatewayCounters.InFlight"/>, <see cref="SimulatedGatewayCounters.SucceededRequests"/> or the
    /// token counters. Completes at once when no request is being handled, including before any has arrived.
    /// </summary>
    /// <param name="cancellationToken">The token to stop waiting.</param>
    /// <returns>A task that completes when no request is being handled.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled first.</exception>
    /// <exception cref="ObjectDisposedException">The gateway was disposed first.</exception>
    public Task WaitForIdleAsync(CancellationToken cancellationToken = default) =>
        _waiters.WaitAsync(() => Counters.IsIdle, cancellationToken);

    /// <summary>
    /// Stops the server as a crash would: the port is closed, so new connections are refused, and open
    /// connections and requests in flight are aborted at once. Counters, options, scripted faults, loading and
    /// pause state are kept. Does nothing when the gateway is not listening.
    /// </summary>
    /// <param name="cancellationToken">The token to cancel waiting for the lifecycle lock.</param>
    /// <returns>A task that completes when the server has stopped.</returns>
    /// <exception cref="ObjectDisposedException">The gateway was disposed.</exception>
    public async Task StopListeningAsync(CancellationToken cancellationToken = default)
    {
        await _lifecycle.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_app is not null)
            {
                await StopServerAsync().ConfigureAwait(false);
                _portHold = HoldPort(_port);
            }
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>
    /// Starts listening again, on the same port and <see cref="Endpoint"/>, after
    /// <see cref="StopListeningAsync"/>. Does nothing when the gateway is already listening.
    /// </summary>
    /// <param name="cancellationToken">The token to cancel the start.</param>
    /// <returns>A task that completes when the server accepts connections.</returns>
    /// <exception cref="ObjectDisposedException">The gateway was disposed.</exception>
    /// <exception cref="IOException">The port was taken by someone else meanwhile and did not come free within 5 seconds.</exception>
    public async Task StartListeningAsync(CancellationToken cancellationToken = default)
    {
        await _lifecycle.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_app is not null)
            {
                return;
            }

            if (_port == 0)
            {
                _app = await StartServerAsync(0, cancellationToken).ConfigureAwait(false);
                _port = ReadBoundPort(_app);
                Endpoint = new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{_port}/"));
                return;
            }

            _portHold?.Dispose();
            _portHold = null;
            var deadline = TimeProvider.System.GetTimestamp();
            while (true)
            {
                try
                {
                    _app = await StartServerAsync(_port, cancellationToken).ConfigureAwait(false);
                    return;
                }
                catch (IOException) when (TimeProvider.System.GetElapsedTime(deadline) < s_rebindTimeout)
                {
                    // The port is still held (TIME_WAIT, or another process took it): try again shortly.
                    await Task.Delay(s_rebindInterval, TimeProvider.System, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>
    /// Stops the server, aborting requests in flight, and fails pending <see cref="WaitForInFlightAsync"/> and
    /// <see cref="WaitForRequestsAsync"/> calls with <see cref="ObjectDisposedException"/>. Calling it again does nothing.
    /// </summary>
    /// <returns>A task that completes when the server has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        await _lifecycle.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _portHold?.Dispose();
            await StopServerAsync().ConfigureAwait(false);
        }
        finally
        {
            _lifecycle.Release();
        }

        _engine.Resume();
        _waiters.Dispose();
    }

    private async Task<WebApplication> StartServerAsync(int port, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(SimulatedGateway).Assembly.GetName().Name,
        });
        builder.Services.AddSingleton<IHostLifetime, NoOpHostLifetime>();
        builder.Services.Configure<HostOptions>(static o => o.ShutdownTimeout = TimeSpan.Zero);
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.Listen(IPAddress.Loopback, port, static listen => listen.Protocols = HttpProtocols.Http1);
        });

        var app = builder.Build();
        app.Run(_engine.HandleAsync);
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return app;
    }

    /// <summary>Binds the port without listening; <see langword="null"/> when it cannot be had (the server then rebinds as it can).</summary>
    private static Socket? HoldPort(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
            return socket;
        }
        catch (SocketException)
        {
            socket.Dispose();
            return null;
        }
    }

    private async Task StopServerAsync()
    {
        var app = _app;
        if (app is null)
        {
            return;
        }

        _app = null;

        // A shutdown timeout of zero: connections and requests in flight are aborted, not drained, like a crash.
        try
        {
            await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Expected when the zero shutdown timeout cuts the graceful part short.
        }
        finally
        {
            await app.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static int ReadBoundPort(WebApplication app)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses;
        var address = addresses?.FirstOrDefault()
            ?? throw new InvalidOperationException("Kestrel did not report the address it is bound to.");
        return new Uri(address).Port;
    }
}
