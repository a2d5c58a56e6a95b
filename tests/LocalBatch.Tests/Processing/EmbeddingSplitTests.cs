using LocalBatch.Processing.Internal;
using Microsoft.Extensions.Logging.Abstractions;

namespace LocalBatch.Tests.Processing;

/// <summary>The one rule for sending a refused embeddings call again in halves, and its recursion.</summary>
public sealed class EmbeddingSplitTests
{
    [Theory]
    [InlineData(400, "request (601 tokens) exceeds the available context size (512 tokens), try increasing it")]
    [InlineData(400, "Input content cannot be empty")]
    [InlineData(413, null)]
    [InlineData(422, "input too long")]
    [InlineData(500, "input (601 tokens) is too large to process. increase the physical batch size (current batch size: 512)")]
    [InlineData(500, "[json.exception.parse_error.101] parse error at line 1, column 19: syntax error")]
    public void Applies_RefusalThatMayBeOneInputs_Splits(int status, string? message) =>
        Assert.True(EmbeddingSplit.Applies(status, message));

    [Theory]
    [InlineData(200, null)]
    [InlineData(401, "Invalid API Key")]
    [InlineData(403, "Forbidden")]
    [InlineData(404, "File Not Found")]
    [InlineData(405, null)]
    [InlineData(408, null)]
    [InlineData(429, "Too many requests")]
    [InlineData(500, "Internal server error")]
    [InlineData(500, null)]
    [InlineData(501, "This server does not support embeddings. Start it with `--embeddings`")]
    [InlineData(502, null)]
    [InlineData(503, "Loading model")]
    [InlineData(504, null)]
    public void Applies_RefusalEveryHalfWouldGetAlike_DoesNotSplit(int status, string? message) =>
        Assert.False(EmbeddingSplit.Applies(status, message));

    [Fact]
    public async Task SendAsync_OneItemRefusedUnderTheRule_HalvesDownToItAndEveryItemAnsweredOnceInOrder()
    {
        var sent = new List<(int Start, int Count)>();

        var calls = await ReadAllAsync(EmbeddingSplit.SendAsync(0, 8, RefusingItem(5, 400, sent), NullLogger.Instance, CancellationToken.None));

        Assert.Equal([(0, 4, "ok"), (4, 1, "ok"), (5, 1, "400"), (6, 2, "ok")], calls);
        Assert.Equal([(0, 8), (0, 4), (4, 4), (4, 2), (4, 1), (5, 1), (6, 2)], sent);
    }

    [Theory]
    [InlineData(401)]
    [InlineData(501)]
    [InlineData(503)]
    public async Task SendAsync_RefusalOutsideTheRule_StandsForTheWholeRange(int status)
    {
        var sent = new List<(int Start, int Count)>();

        var calls = await ReadAllAsync(EmbeddingSplit.SendAsync(3, 8, RefusingItem(5, status, sent), NullLogger.Instance, CancellationToken.None));

        Assert.Equal([(3, 8, status.ToString(System.Globalization.CultureInfo.InvariantCulture))], calls);
        Assert.Equal([(3, 8)], sent);
    }

    [Fact]
    public async Task SendAsync_CallerStopsAtTheFirstRefusalThatStands_NothingMoreIsSent()
    {
        var sent = new List<(int Start, int Count)>();

        await foreach (var (_, _, value) in EmbeddingSplit.SendAsync(0, 8, RefusingItem(5, 400, sent), NullLogger.Instance, CancellationToken.None))
        {
            if (value != "ok")
            {
                break;
            }
        }

        Assert.Equal((5, 1), sent[^1]); // the second half [6, 8) is never sent
    }

    [Fact]
    public async Task SendAsync_AnswerThatDoesNotFit_SplitLikeARefusalUnderTheRule()
    {
        var sent = new List<(int Start, int Count)>();

        var calls = await ReadAllAsync(EmbeddingSplit.SendAsync(0, 3, (start, count, _) =>
        {
            sent.Add((start, count));
            return Task.FromResult(count > 1 ? EmbeddingSplit.Unfit("unfit") : EmbeddingSplit.Answered("ok"));
        }, NullLogger.Instance, CancellationToken.None));

        Assert.Equal([(0, 1, "ok"), (1, 1, "ok"), (2, 1, "ok")], calls);
        Assert.Equal([(0, 3), (0, 1), (1, 2), (1, 1), (2, 1)], sent);
    }

    /// <summary>A call refused with <paramref name="status"/> when it holds <paramref name="bad"/>, else answered; each call recorded.</summary>
    private static Func<int, int, CancellationToken, Task<EmbeddingSplit.Reply<string>>> RefusingItem(int bad, int status, List<(int Start, int Count)> sent) =>
        (start, count, _) =>
        {
            sent.Add((start, count));
            var refused = start <= bad && bad < start + count;
            return Task.FromResult(refused
                ? EmbeddingSplit.Refused(status.ToString(System.Globalization.CultureInfo.InvariantCulture), status, "refused")
                : EmbeddingSplit.Answered("ok"));
        };

    private static async Task<List<(int Start, int Count, T Value)>> ReadAllAsync<T>(IAsyncEnumerable<(int Start, int Count, T Value)> calls)
    {
        var list = new List<(int, int, T)>();
        await foreach (var call in calls)
        {
            list.Add(call);
        }

        return list;
    }
}
