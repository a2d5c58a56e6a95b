using System.Text;
using LocalBatch.Batches;
using Microsoft.Extensions.Options;
using static LocalBatch.Tests.Support.BatchTestEnvironment;

namespace LocalBatch.Tests.Batches;

/// <summary>Validation of the input's bytes: strict UTF-8, byte order marks, line ends, JSON positions, nesting and line size.</summary>
public sealed class BatchInputEncodingTests
{
    [Theory]
    [InlineData(new byte[] { 0xFF, 0xFE })]                 // bytes that never start a character
    [InlineData(new byte[] { 0xC3 })]                       // a character cut short
    [InlineData(new byte[] { 0xC0, 0xAF })]                 // an overlong '/'
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 })]           // a UTF-16 surrogate written as UTF-8
    public async Task CreateAsync_LineWithInvalidUtf8_FailsNamingLineAndByteAndSendsNothing(byte[] invalid)
    {
        await using var env = await StartAsync();
        await using var manager = env.CreateManager();
        var prefix = Encoding.UTF8.GetBytes(ChatLine("a") + "\n" + """{"custom_id":"b","method":"POST","url":"/v1/chat/completions","body":{"messages":[{"role":"user","content":"é""");
        var input = prefix.Concat(invalid).Concat(Encoding.UTF8.GetBytes("\"}]}}\n" + ChatLine("c") + "\n")).ToArray();

        var job = await manager.CreateAsync(new MemoryStream(input));

        Assert.Equal(BatchStatus.Failed, job.Status);
        var error = Assert.Single(job.Errors!.Data);
        Assert.Equal(("invalid_utf8", 2), (error.Code, error.Line ?? 0));
        var column = prefix.Length - (Encoding.UTF8.GetByteCount(ChatLine("a")) + 1) + 1;
        Assert.StartsWith($"The line is not valid UTF-8 at byte {column} (0x{invalid[0]:X2})", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, env.Gateway.Counters.TotalRequests);
    }

    [Theory]
    [InlineData("utf-16", "UTF-16 (little-endian)")]
    [InlineData("utf-16BE", "UTF-16 (big-endian)")]
    [InlineData("utf-32", "UTF-32 (little-endian)")]
    public async Task CreateAsync_FileInAnotherUnicodeEncoding_FailsWithOneErrorNamingIt(string encodingName, string named)
    {
        await using var env = await StartAsync();
        await using var manager = env.CreateManager();
        var encoding = Encoding.GetEncoding(encodingName);
        var input = encoding.GetPreamble().Concat(encoding.GetBytes(ChatLines(3))).ToArray();

        var job = await manager.CreateAsync(new MemoryStream(input));

        var error = Assert.Single(job.Errors!.Data);
        Assert.Equal(("unsupported_encoding", 1), (error.Code, error.Line ?? 0));
        Assert.Contains(named, error.Message, StringComparison.Ordinal);
        Assert.Contains("must be UTF-8", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, env.Gateway.Counters.TotalRequests);
    }

    [Fact]
    public async Task CreateAsync_InvalidJson_GivesTheBytePositionOnlyNotTheParsersLineNumber()
    {
        await using var env = await StartAsync();
        await using var manager = env.CreateManager();
        var broken = ChatLine("b")[..^1]; // the closing brace is missing

        var job = await manager.CreateAsync(ToStream(ChatLine("a") + "\n" + broken + "\n"));

        var error = Assert.Single(job.Errors!.Data);
        Assert.Equal(("invalid_json_line", 2), (error.Code, error.Line ?? 0));
        Assert.StartsWith($"The line is not valid JSON at byte {broken.Length + 1}: ", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("LineNumber", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("BytePositionInLine", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Path:", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"custom_id":"a\ud800","method":"POST","url":"/v1/completions","body":{"prompt":"x"}}""", 14)]
    [InlineData("""{"custom_id":"a","method":"POST","url":"/v1/completions","body":{"prompt":"x\udc00y"}}""", 75)]
    [InlineData("""{"custom_id":"a","method":"POST","url":"/v1/completions","body":{"prompt":"x","\ud83d":1}}""", 79)]
    public async Task CreateAsync_StringEscapingHalfASurrogatePair_IsRefusedWithItsByte(string line, int column)
    {
        await using var env = await StartAsync();
        await using var manager = env.CreateManager();

        var job = await manager.CreateAsync(ToStream(ChatLine("ok", url: "/v1/completions") + "\n" + line + "\n"));

        var error = Assert.Single(job.Errors!.Data);
        Assert.Equal(("invalid_json_line", 2), (error.Code, error.Line ?? 0));
        Assert.StartsWith($"The line is not valid JSON text at byte {column}: a string escapes half of a UTF-16 surrogate pair", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, env.Gateway.Counters.TotalRequests);
    }

    [Theory]
    [InlineData(62, true)]  // the line's object, body, then 62 arrays: 64 levels
    [InlineData(63, false)]
    public async Task CreateAsync_Nesting_AcceptsSixtyFourLevelsAndRefusesMore(int arrays, bool accepted)
    {
        await using var env = await StartAsync();
        await using var manager = env.CreateManager();
        var nested = new string('[', arrays) + new string(']', arrays);
        var line = """{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"messages":[{"role":"user","content":"hi"}],"extra":""" + nested + "}}";

        var job = await manager.CreateAsync(ToStream(line + "\n"));

        if (accepted)
        {
            Assert.Null(job.Errors);
            Assert.Equal(BatchStatus.Completed, (await manager.WaitAsync(job.Id)).Status);
        }
        else
        {
            var error = Assert.Single(job.Errors!.Data);
            Assert.Equal(("invalid_json_line", 1), (error.Code, error.Line ?? 0));
            Assert.Contains("depth of 64", error.Message, StringComparison.Ordinal);
            Assert.Equal(0, env.Gateway.Counters.TotalRequests);
        }
    }

    [Theory]
    [InlineData("\n")]
    [InlineData("\r\n")]
    [InlineData("\r")]
    public async Task CreateAsync_AnyLineEnd_AcceptedAndStoredWithLineFeeds(string end)
    {
        await using var env = await StartAsync();
        await using var manager = env.CreateManager();
        // Raw (unescaped) non-ASCII text, U+2028 included, must reach the store exactly as it was written.
        var lines = new[]
        {
            """{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"messages":[{"role":"user","content":"naïve café ☕ 𝄞"}]}}""",
            "{\"custom_id\":\"b\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"messages\":[{\"role\":\"user\",\"content\":\"a\u2028b\"}]}}",
            ChatLine("c"),
        };

        var job = await manager.CreateAsync(ToStream(string.Join(end, lines))); // and no final line end
        var final = await manager.WaitAsync(job.Id);

        Assert.Equal(new BatchRequestCounts(3, 3, 0), final.RequestCounts);
        var stored = await File.ReadAllBytesAsync(manager.GetFilePath(job.Id, BatchFileKind.Input));
        Assert.Equal(Encoding.UTF8.GetBytes(string.Concat(lines.Select(line => line + "\n"))), stored); // byte for byte
    }

    [Fact]
    public async Task CreateAsync_LineOverTheLimit_FailsWithLineTooLargeAndKeepsCheckingTheRest()
    {
        await using var env = await StartAsync();
        await using var manager = env.CreateManager(new BatchJobManagerOptions { MaxLineBytes = 1_000 });
        var huge = ChatLine("big", new string('x', 5_000));
        var input = string.Join("\n", ChatLine("a"), huge, ChatLine("a"), "{oops") + "\n";

        var job = await manager.CreateAsync(ToStream(input));

        Assert.Equal(BatchStatus.Failed, job.Status);
        Assert.Equal(
            [("line_too_large", 2), ("duplicate_custom_id", 3), ("invalid_json_line", 4)],
            job.Errors!.Data.Select(e => (e.Code, e.Line ?? 0)));
        Assert.Equal($"The line has {Encoding.UTF8.GetByteCount(huge):N0} bytes, more than the 1,000 a line may have (BatchJobManagerOptions.MaxLineBytes).", job.Errors.Data[0].Message);
        Assert.Contains("already used by line 1", job.Errors.Data[1].Message, StringComparison.Ordinal);
        Assert.Equal(0, env.Gateway.Counters.TotalRequests);
    }

    [Fact]
    public async Task CreateAsync_LineOfExactlyTheLimit_Runs()
    {
        await using var env = await StartAsync();
        var line = ChatLine("a", new string('x', 500));
        await using var manager = env.CreateManager(new BatchJobManagerOptions { MaxLineBytes = Encoding.UTF8.GetByteCount(line) });

        var job = await manager.CreateAsync(ToStream(line + "\r\n"));

        Assert.Equal(BatchStatus.Completed, (await manager.WaitAsync(job.Id)).Status);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(BatchJobManagerOptions.MaxLineBytesLimit + 1)]
    public void Constructor_MaxLineBytesOutOfRange_Throws(int maxLineBytes)
    {
        using var processor = new LocalBatchProcessor(new Uri("http://127.0.0.1:1"));

        var error = Assert.Throws<OptionsValidationException>(() => new BatchJobManager(processor, new BatchJobManagerOptions { MaxLineBytes = maxLineBytes }));

        Assert.Contains("MaxLineBytes", error.Message, StringComparison.Ordinal);
    }
}
