using System.Text.RegularExpressions;
using LocalBatch.Tests.Reliability.Harness;

namespace LocalBatch.Server.Tests.Reliability.Harness;

/// <summary>
/// <c>localbatch serve</c> as a child process (see <see cref="CliProcess"/>), on a free port of 127.0.0.1, started once
/// it has said where it listens, and killed outright (SIGKILL) when disposed unless it was killed before.
/// </summary>
internal sealed partial class ServeProcess : IAsyncDisposable
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private ServeProcess(CliProcess cli, Uri baseAddress)
    {
        Cli = cli;
        BaseAddress = baseAddress;
    }

    /// <summary>Gets the process.</summary>
    public CliProcess Cli { get; }

    /// <summary>Gets the address it listens on, such as <c>http://127.0.0.1:41234/</c> (OpenAI clients take <c>{BaseAddress}v1</c>).</summary>
    public Uri BaseAddress { get; }

    /// <summary>Starts <c>localbatch serve</c> with the options (on <c>--urls http://127.0.0.1:0</c> unless they give one) and waits until it listens.</summary>
    /// <exception cref="InvalidOperationException">It ended before it listened.</exception>
    /// <param name="options">The options of serve.</param>
    /// <param name="fileSizeLimitKilobytes">A limit on the size of every file it writes (see <see cref="LimitedStore"/>), or none.</param>
    public static async Task<ServeProcess> StartAsync(IEnumerable<string> options, int? fileSizeLimitKilobytes = null)
    {
        List<string> args = ["serve", .. options];
        if (!args.Contains("--urls"))
        {
            args.AddRange(["--urls", "http://127.0.0.1:0"]);
        }

        var cli = CliProcess.Start(args, fileSizeLimitKilobytes);
        try
        {
            return new ServeProcess(cli, ReadAddress(await cli.WaitForErrorLineAsync(line => ReadAddress(line) is not null, StartTimeout))!);
        }
        catch
        {
            await cli.KillAsync();
            cli.Dispose();
            throw;
        }
    }

    /// <summary>Reads the address serve says it listens on (<c>http://127.0.0.1:41234/</c>, without <c>v1</c>) from its text, if there.</summary>
    public static Uri? ReadAddress(string text) =>
        AddressPattern().Match(text) is { Success: true } match ? new Uri(match.Groups["base"].Value) : null;

    /// <summary>Gets a client on <see cref="BaseAddress"/>, sending <paramref name="key"/> as its bearer key when there is one.</summary>
    public HttpClient CreateClient(string? key = null)
    {
        var http = new HttpClient { BaseAddress = BaseAddress };
        if (key is not null)
        {
            http.DefaultRequestHeaders.Authorization = new("Bearer", key);
        }

        return http;
    }

    /// <summary>Kills the process (SIGKILL); returns whether it was still running.</summary>
    public Task<bool> KillAsync() => Cli.KillAsync();

    public async ValueTask DisposeAsync()
    {
        await Cli.KillAsync();
        Cli.Dispose();
    }

    // "localbatch: serving the Files and Batch API at http://127.0.0.1:41234/v1 (…)"
    [GeneratedRegex("serving the Files and Batch API at (?<base>http://[^ ,/]+/)v1")]
    private static partial Regex AddressPattern();
}
