using System.Net;
using System.Net.Sockets;
using LocalBatch.Cli;
using LocalBatch.Cli.Commands;
using LocalBatch.Tests.Reliability.Harness;

namespace LocalBatch.Server.Tests.Cli;

/// <summary>What serve says as it starts: a port it cannot have, and an address other machines reach without a key.</summary>
public sealed class ServeStartupTests
{
    [Fact]
    public async Task Serve_PortInUse_SaysSoInOneLineWithoutAStackTrace()
    {
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var port = ((IPEndPoint)holder.LocalEndpoint).Port;
        var state = Path.Combine(Path.GetTempPath(), "localbatch-tests", Guid.NewGuid().ToString("N"));

        var (exitCode, error) = await CliProcess.RunAsync(
            ["serve", "--urls", $"http://127.0.0.1:{port}", "--gateway", "http://127.0.0.1:1", "--state-dir", state],
            TimeSpan.FromSeconds(60));

        Assert.Equal(ExitCodes.Fatal, exitCode);
        Assert.Contains($"localbatch: cannot listen on http://127.0.0.1:{port}: ", error, StringComparison.Ordinal);
        Assert.Contains("--urls", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", error, StringComparison.Ordinal);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    [Fact]
    public async Task Serve_UrlsBeyondLoopbackWithoutApiKey_WarnsLoudlyBeforeListening()
    {
        // 192.0.2.1 (TEST-NET-1) is no address of this machine: the warning comes first, then the start fails, and
        // nothing listens beyond loopback during the test.
        var stderr = new StringWriter();
        var state = Path.Combine(Path.GetTempPath(), "localbatch-tests", Guid.NewGuid().ToString("N"));

        var exitCode = await LocalBatchCli.InvokeAsync(
            ["serve", "--urls", "http://192.0.2.1:0", "--gateway", "http://127.0.0.1:1", "--state-dir", state],
            TextWriter.Null,
            stderr,
            isTerminal: false,
            CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(ExitCodes.Fatal, exitCode);
        Assert.StartsWith("localbatch: WARNING: --urls http://192.0.2.1:0 can be reached from other machines and no --api-key is set", stderr.ToString(), StringComparison.Ordinal);
        Assert.Contains("localbatch: cannot listen on http://192.0.2.1:0: ", stderr.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://127.0.0.1:8081", "")]
    [InlineData("http://localhost:8081;http://[::1]:8082", "")]
    [InlineData("http://unix:/tmp/localbatch.sock", "")]
    [InlineData("http://0.0.0.0:8081", "http://0.0.0.0:8081")]
    [InlineData("http://*:8081;http://127.0.0.1:8082", "http://*:8081")]
    [InlineData("http://+:8081", "http://+:8081")]
    [InlineData("https://gpu-box.lan:8443", "https://gpu-box.lan:8443")]
    [InlineData("http://[::]:8081", "http://[::]:8081")]
    public void Exposed_NamesTheAddressesOtherMachinesReach(string urls, string exposed) =>
        Assert.Equal(exposed, string.Join(";", ServeStartup.Exposed(urls)));
}
