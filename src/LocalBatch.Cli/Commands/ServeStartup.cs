using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace LocalBatch.Cli.Commands;

/// <summary>
/// What <c>serve</c> says as it starts: a loud warning when it would listen beyond this machine without a key, and one
/// clean line when it cannot listen, without the frameworks' own report of that failure (a stack trace) before it.
/// </summary>
internal sealed class ServeStartup
{
    // The frameworks that report a failed start themselves, with the exception's stack: Kestrel ("Unable to start
    // Kestrel") and the host ("Hosting failed to start").
    private static readonly string[] StartReporters = ["Microsoft.AspNetCore.Server.Kestrel", "Microsoft.Extensions.Hosting.Internal.Host"];

    private volatile bool _listening;

    /// <summary>The addresses of <paramref name="urls"/> that other machines may reach: all but loopback (<c>localhost</c>, <c>127.x</c>, <c>::1</c>) and local sockets.</summary>
    public static IReadOnlyList<string> Exposed(string urls) =>
        [.. urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(static url => !IsLocal(url))];

    /// <summary>The warning for <paramref name="exposed"/> addresses served without a key.</summary>
    public static string ExposedWithoutKeyWarning(IReadOnlyList<string> exposed) =>
        $"localbatch: WARNING: --urls {string.Join(";", exposed)} can be reached from other machines and no --api-key is set: "
        + "anyone who reaches it can upload files, run batches on your gateway, read their results and use the gateway through it. "
        + $"Set --api-key (or {ServeCommand.ApiKeyVariable}), or listen on 127.0.0.1.";

    /// <summary>Lets the frameworks that report a failed start log at Warning and above once the server listens, and not before (the command reports a failed start itself).</summary>
    public void QuietUntilListening(ILoggingBuilder logging)
    {
        foreach (var category in StartReporters)
        {
            logging.AddFilter(category, level => _listening && level >= LogLevel.Warning);
        }
    }

    /// <summary>The server listens: the frameworks' warnings are shown from now on.</summary>
    public void Listening() => _listening = true;

    private static bool IsLocal(string url)
    {
        BindingAddress address;
        try
        {
            address = BindingAddress.Parse(url);
        }
        catch (FormatException)
        {
            return true; // Kestrel refuses it: nothing listens there
        }

        return address.IsUnixPipe || address.IsNamedPipe
            || address.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(address.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
    }
}
