using LocalBatch.Cli;
using LocalBatch.Server.Tests.Reliability.Harness;

namespace LocalBatch.Server.Tests.Support;

/// <summary>
/// <c>localbatch serve</c> run in this process as the tool runs it (its command line, on <c>--urls http://127.0.0.1:0</c>
/// unless given), started once it has said where it listens, and stopped as Ctrl+C stops it.
/// </summary>
internal sealed class InProcessServe : IAsyncDisposable
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    private readonly CancellationTokenSource _ctrlC;
    private readonly Task<int> _run;

    private InProcessServe(CancellationTokenSource ctrlC, Task<int> run, SignallingWriter error, Uri baseAddress)
    {
        _ctrlC = ctrlC;
        _run = run;
        Error = error;
        BaseAddress = baseAddress;
    }

    /// <summary>Gets what the command wrote to stderr (the tool's own lines; its log goes to the console).</summary>
    public SignallingWriter Error { get; }

    /// <summary>Gets the address it listens on, such as <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri BaseAddress { get; }

    /// <exception cref="InvalidOperationException">The command ended before it listened.</exception>
    public static async Task<InProcessServe> StartAsync(IEnumerable<string> options)
    {
        List<string> args = ["serve", .. options];
        if (!args.Contains("--urls"))
        {
            args.AddRange(["--urls", "http://127.0.0.1:0"]);
        }

        var error = new SignallingWriter();
        var ctrlC = new CancellationTokenSource();
        var run = LocalBatchCli.InvokeAsync([.. args], TextWriter.Null, error, isTerminal: false, ctrlC.Token);
        var listening = error.WaitForAsync("Ctrl+C to stop");
        if (await Task.WhenAny(listening, run).WaitAsync(s_timeout) != listening)
        {
            ctrlC.Dispose();
            throw new InvalidOperationException($"serve ended (exit code {await run}) before it listened: {error.Text}");
        }

        return new InProcessServe(ctrlC, run, error, ServeProcess.ReadAddress(await listening)!);
    }

    /// <summary>Stops it as Ctrl+C does; returns its exit code.</summary>
    public async Task<int> StopAsync()
    {
        await _ctrlC.CancelAsync();
        return await _run.WaitAsync(s_timeout);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_run.IsCompleted)
        {
            await StopAsync();
        }

        _ctrlC.Dispose();
    }
}
