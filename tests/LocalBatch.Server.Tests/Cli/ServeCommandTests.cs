using System.Net;
using System.Text.RegularExpressions;
using LocalBatch.Cli;
using LocalBatch.Cli.Commands;
using LocalBatch.Server.Tests.Support;
using LocalBatch.Tests.Support;
using static LocalBatch.Server.Tests.Support.ServerTestEnvironment;

namespace LocalBatch.Server.Tests.Cli;

public sealed partial class ServeCommandTests
{
    [Fact]
    public async Task Serve_ListensServesAndStopsOnCtrlC_WithExitCodeZero()
    {
        await using var env = await BatchTestEnvironment.StartAsync();
        await using var serve = await InProcessServe.StartAsync(
            ["--gateway", env.Gateway.Endpoint.ToString(), "--state-dir", env.StoreDirectory, "--api-key", "serve-key", "--retention", "7d", "--max-upload-size", "1MB"]);
        var address = AddressPattern().Match(serve.Error.Text).Value;
        using var http = new HttpClient { BaseAddress = new Uri(address + "/") };
        http.DefaultRequestHeaders.Authorization = new("Bearer", "serve-key");
        var upload = await http.PostAsync("files", Files.FilesApiTests.Multipart(BatchTestEnvironment.ChatLines(2), "a.jsonl", "batch"));
        var tooLarge = await http.PostAsync("files", Files.FilesApiTests.Multipart(new string('x', 2 << 20), "big.jsonl", "batch"));
        var health = await new HttpClient().GetAsync(new Uri(new Uri(address), "/health"));
        var exitCode = await serve.StopAsync();

        Assert.StartsWith("http://127.0.0.1:", address, StringComparison.Ordinal);
        Assert.EndsWith("/v1", address, StringComparison.Ordinal);
        Assert.DoesNotContain("serve-key", serve.Error.Text, StringComparison.Ordinal);
        Assert.Equal(200, (int)upload.StatusCode);
        Assert.Equal(System.Text.Json.JsonValueKind.Number, (await JsonAsync(upload)).GetProperty("expires_at").ValueKind);
        Assert.Equal(413, (int)tooLarge.StatusCode);
        Assert.Equal(200, (int)health.StatusCode);
        Assert.Equal(ExitCodes.Success, exitCode);
        Assert.Contains("stopping; unfinished batches resume at the next start", serve.Error.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_SaysWhereTheDashboardIs_AndNoUiTurnsItOff()
    {
        await using var env = await BatchTestEnvironment.StartAsync();
        await using var withUi = await InProcessServe.StartAsync(["--gateway", env.Gateway.Endpoint.ToString(), "--state-dir", env.StoreDirectory, "--api-key", "serve-key"]);
        await using var noUi = await InProcessServe.StartAsync(["--gateway", env.Gateway.Endpoint.ToString(), "--state-dir", env.StoreDirectory, "--api-key", "serve-key", "--no-ui"]);
        using var http = new HttpClient();

        var login = await http.GetAsync(new Uri(withUi.BaseAddress, "ui/login"));
        var none = await http.GetAsync(new Uri(noUi.BaseAddress, "ui/login"));

        Assert.Contains($"dashboard at {new Uri(withUi.BaseAddress, "ui/")}", withUi.Error.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("dashboard", noUi.Error.Text, StringComparison.Ordinal);
        Assert.Equal(200, (int)login.StatusCode);
        Assert.Contains("API key", await login.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(401, (int)none.StatusCode); // an ordinary route now: the key is needed before it would be proxied
    }

    [Fact]
    public void Serve_WithoutUrls_ListensOnLoopbackOnly()
    {
        using var interruption = Interruption.From(CancellationToken.None);
        var serve = ServeCommand.Create(CliContext.ForWriters(TextWriter.Null, TextWriter.Null, isTerminal: false, interruption));

        var urls = serve.Parse([]).GetValue<string>("--urls")!;

        Assert.Equal(LocalBatchServer.DefaultUrls, urls);
        Assert.All(urls.Split(';'), url => Assert.True(IPAddress.IsLoopback(IPAddress.Parse(new Uri(url).Host)), url));
    }

    [Theory]
    [InlineData(BatchPriority.Background)]
    [InlineData(BatchPriority.Background, "--batch-priority", "background")]
    [InlineData(BatchPriority.Foreground, "--batch-priority", "foreground")]
    public void Serve_BatchPriority_IsReadFromTheFlag(BatchPriority expected, params string[] args)
    {
        using var interruption = Interruption.From(CancellationToken.None);
        var serve = ServeCommand.Create(CliContext.ForWriters(TextWriter.Null, TextWriter.Null, isTerminal: false, interruption));
        var option = serve.Options.OfType<System.CommandLine.Option<string>>().Single(static o => o.Name == "--batch-priority");

        Assert.Equal(expected, CommonOptions.ReadBatchPriority(serve.Parse(args), option));
    }

    [Theory]
    [InlineData("--retention", "7x")]
    [InlineData("--retention", "0d")]
    [InlineData("--max-upload-size", "lots")]
    [InlineData("--max-upload-size", "0")]
    [InlineData("--max-upload-size", "2TB")]
    [InlineData("--gateway", "ftp://127.0.0.1:1")]
    [InlineData("--api-key", " ")]
    [InlineData("--batch-priority", "low")]
    public async Task Serve_BadOption_ExitsTwoWithoutListening(string option, string value)
    {
        var stderr = new StringWriter();
        var state = Path.Combine(Path.GetTempPath(), "localbatch-tests", Guid.NewGuid().ToString("N"));
        string[] args = option == "--gateway"
            ? ["serve", "--urls", "http://127.0.0.1:0", "--state-dir", state, option, value]
            : ["serve", "--urls", "http://127.0.0.1:0", "--gateway", "http://127.0.0.1:1", "--state-dir", state, option, value];

        var exitCode = await LocalBatchCli.InvokeAsync(args, TextWriter.Null, stderr, isTerminal: false, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(ExitCodes.InvalidInput, exitCode);
        Assert.StartsWith("localbatch: ", stderr.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("Ctrl+C", stderr.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("7d", 7 * 24 * 3600)]
    [InlineData("12h", 12 * 3600)]
    [InlineData("30m", 30 * 60)]
    [InlineData("45S", 45)]
    [InlineData("2w", 14 * 24 * 3600)]
    public void ParseRetention_Units(string value, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), ServeCommand.ParseRetention(value));

    [Theory]
    [InlineData("200MB", 200L << 20)]
    [InlineData("1GB", 1L << 30)]
    [InlineData("512 KB", 512L << 10)]
    [InlineData("1000", 1000)]
    [InlineData("64b", 64)]
    public void ParseSize_Units(string value, long bytes) =>
        Assert.Equal(bytes, ServeCommand.ParseSize(value));

    [GeneratedRegex(@"http://127\.0\.0\.1:[0-9]+/v1")]
    private static partial Regex AddressPattern();
}
