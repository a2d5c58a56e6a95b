using Anthropic;
using Anthropic.Exceptions;
using Anthropic.Models.Messages;
using Anthropic.Models.Messages.Batches;
using LocalBatch.Batches;
using LocalBatch.Server.Tests.Support;
using static LocalBatch.Server.Tests.MessageBatches.MessageBatchRequests;
using static LocalBatch.Server.Tests.Support.ServerTestEnvironment;

namespace LocalBatch.Server.Tests.MessageBatches;

/// <summary>
/// Anthropic's official .NET SDK (the <c>Anthropic</c> package) against serve in front of the simulated gateway: it
/// creates, polls, lists, reads the results of, cancels and deletes message batches, with its response validation on.
/// </summary>
public sealed class MessageBatchesSdkTests
{
    private const int Total = 3;
    private const string Key = "serve-key-5e4d3c";

    [Fact]
    public async Task Sdk_CreatesPollsListsAndReadsResults()
    {
        await using var env = await ServeAsync(o => o.ApiKey = Key);
        var client = Client(env);

        var created = await client.Messages.Batches.Create(CreateParams(Total, i => i == 2 ? TooLong : $"prompt {i}"));
        var polled = created;
        while (polled.ProcessingStatus != ProcessingStatus.Ended)
        {
            await env.Batches.WaitAsync(StoreId(created.ID)).WaitAsync(TimeSpan.FromSeconds(30));
            polled = await client.Messages.Batches.Retrieve(created.ID);
        }

        var page = await client.Messages.Batches.List(new BatchListParams { Limit = 10 });
        var results = new List<MessageBatchIndividualResponse>();
        await foreach (var result in client.Messages.Batches.ResultsStreaming(created.ID))
        {
            results.Add(result);
        }

        Assert.StartsWith("msgbatch_", created.ID, StringComparison.Ordinal);
        Assert.Equal(Total, created.RequestCounts.Processing + created.RequestCounts.Succeeded + created.RequestCounts.Errored);
        Assert.Equal((0L, 2L, 1L, 0L, 0L), (polled.RequestCounts.Processing, polled.RequestCounts.Succeeded, polled.RequestCounts.Errored, polled.RequestCounts.Canceled, polled.RequestCounts.Expired));
        Assert.NotNull(polled.EndedAt);
        Assert.Equal(created.CreatedAt.AddHours(24), created.ExpiresAt);
        Assert.EndsWith($"/v1/messages/batches/{created.ID}/results", polled.ResultsUrl, StringComparison.Ordinal);
        Assert.Equal([created.ID], page.Items.Select(b => b.ID));
        Assert.Equal(Enumerable.Range(1, Total).Select(i => $"req-{i}"), results.Select(r => r.CustomID).Order(StringComparer.Ordinal));
        foreach (var result in results)
        {
            if (result.CustomID == "req-2")
            {
                Assert.True(result.Result.TryPickErrored(out var errored));
                Assert.Contains("context size", errored!.Error.Error.Message, StringComparison.Ordinal);
            }
            else
            {
                Assert.True(result.Result.TryPickSucceeded(out var succeeded));
                var text = Assert.Single(succeeded!.Message.Content);
                Assert.True(text.TryPickText(out var block));
                Assert.Equal(4, block!.Text.Split(' ').Length);
                Assert.Equal(4, succeeded.Message.Usage.OutputTokens);
            }
        }
    }

    [Fact]
    public async Task Sdk_WrongKey_IsAnAuthenticationError()
    {
        await using var env = await ServeAsync(o => o.ApiKey = Key);
        var client = new AnthropicClient { ApiKey = "wrong-key", BaseUrl = env.Server.BaseAddress.AbsoluteUri.TrimEnd('/'), MaxRetries = 0 };

        var error = await Assert.ThrowsAsync<AnthropicUnauthorizedException>(() => client.Messages.Batches.Create(CreateParams(1)));

        Assert.Equal("authentication_error", error.Type);
        Assert.Equal(0, env.Gateway.Counters.TotalRequests);
    }

    [Fact]
    public async Task Sdk_CancelsARunningBatch_ItEndsWithItsRequestsCanceled_ThenDeletesIt()
    {
        await using var env = await ServeAsync(o => o.ApiKey = Key, concurrency: 1);
        var client = Client(env);
        env.Gateway.Pause();
        var created = await client.Messages.Batches.Create(CreateParams(Total));
        await env.Gateway.WaitForInFlightAsync(1).WaitAsync(TimeSpan.FromSeconds(10));

        var canceling = await client.Messages.Batches.Cancel(created.ID);
        var job = await env.WaitAsync(StoreId(created.ID));
        env.Gateway.Resume();
        var ended = await client.Messages.Batches.Retrieve(created.ID);
        var results = new List<MessageBatchIndividualResponse>();
        await foreach (var result in client.Messages.Batches.ResultsStreaming(created.ID))
        {
            results.Add(result);
        }

        var deleted = await client.Messages.Batches.Delete(created.ID);
        var gone = await Assert.ThrowsAsync<AnthropicNotFoundException>(() => client.Messages.Batches.Retrieve(created.ID));

        Assert.NotNull(canceling.CancelInitiatedAt);
        Assert.Equal(BatchStatus.Cancelled, job.Status);
        Assert.True(ended.ProcessingStatus == ProcessingStatus.Ended);
        Assert.Equal(Total, ended.RequestCounts.Canceled);
        Assert.All(results, r => Assert.True(r.Result.TryPickCanceled(out _)));
        Assert.Equal(created.ID, deleted.ID);
        Assert.Equal("not_found_error", gone.Type);
    }

    private static AnthropicClient Client(ServerTestEnvironment env) => new()
    {
        ApiKey = Key,
        BaseUrl = env.Server.BaseAddress.AbsoluteUri.TrimEnd('/'),
        MaxRetries = 0,
        ResponseValidation = true,
    };

    private static BatchCreateParams CreateParams(int count, Func<int, string>? prompt = null) => new()
    {
        Requests =
        [
            .. Enumerable.Range(1, count).Select(i => new Request
            {
                CustomID = $"req-{i}",
                Params = new Params
                {
                    Model = "claude-sonnet-4-5",
                    MaxTokens = 4,
                    Messages = [new UserMessageParam { Content = prompt?.Invoke(i) ?? $"prompt {i}" }],
                },
            }),
        ],
    };
}
