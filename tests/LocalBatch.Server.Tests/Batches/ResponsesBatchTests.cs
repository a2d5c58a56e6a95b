using System.ClientModel.Primitives;
using System.Text.Json;
using LocalBatch.Batches;
using OpenAI.Responses;
using static LocalBatch.Server.Tests.Support.ServerTestEnvironment;

namespace LocalBatch.Server.Tests.Batches;

/// <summary>A <c>/v1/responses</c> batch through serve with the official OpenAI SDK, as <c>responses.create</c> code batches.</summary>
public sealed class ResponsesBatchTests
{
    private const int Total = 3;
    private const string Responses = "/v1/responses";

    [Fact]
    public async Task SdkRunsAResponsesBatch_OutputBodiesAreResponseObjectsTheSdkReads_UsageSummed()
    {
        await using var env = await ServeAsync();
        var lines = string.Concat(Enumerable.Range(1, Total).Select(i => JsonSerializer.Serialize(new
        {
            custom_id = $"req-{i}",
            method = "POST",
            url = Responses,
            body = new { model = "gpt-4.1-mini", instructions = "Answer briefly.", input = $"question {i}", max_output_tokens = 5 },
        }) + "\n"));
        var file = await env.UploadAsync(lines);

        var (operation, batch) = await env.CreateBatchAsync(file.Id, Responses);
        await env.WaitAsync(operation.BatchId);
        var ended = Json((await env.BatchClient.GetBatchAsync(operation.BatchId, options: null)).GetRawResponse());
        var output = (await env.Files.DownloadFileAsync(ended.GetProperty("output_file_id").GetString()!)).Value.ToString();
        var answers = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement.Clone()).ToList();

        Assert.Equal(Responses, batch.GetProperty("endpoint").GetString());
        Assert.Equal("completed", ended.GetProperty("status").GetString());
        Assert.Equal(Total, ended.GetProperty("request_counts").GetProperty("completed").GetInt32());
        Assert.Equal(Total, env.Gateway.Counters.GetRequests(Responses));
        long input = 0;
        foreach (var answer in answers)
        {
            var response = answer.GetProperty("response");
            Assert.Equal(200, response.GetProperty("status_code").GetInt32());
            var result = ModelReaderWriter.Read<ResponseResult>(BinaryData.FromString(response.GetProperty("body").GetRawText()), ModelReaderWriterOptions.Json)!;
            Assert.Equal(5, result.GetOutputText().Split(' ').Length);
            Assert.Equal(5, result.Usage.OutputTokenCount);
            input += result.Usage.InputTokenCount;
        }

        var usage = ended.GetProperty("usage");
        Assert.Equal(input, usage.GetProperty("input_tokens").GetInt64());
        Assert.Equal(Total * 5, usage.GetProperty("output_tokens").GetInt64());
        Assert.Equal(0, usage.GetProperty("input_tokens_details").GetProperty("cached_tokens").GetInt64());
    }

    [Fact]
    public async Task ResponsesLineWithoutInput_BatchFailsNamingBodyInput_NothingSent()
    {
        await using var env = await ServeAsync();
        var file = await env.UploadAsync("""{"custom_id":"a","method":"POST","url":"/v1/responses","body":{"model":"m"}}""" + "\n");

        var (_, batch) = await env.CreateBatchAsync(file.Id, Responses);

        Assert.Equal("failed", batch.GetProperty("status").GetString());
        var error = batch.GetProperty("errors").GetProperty("data")[0];
        Assert.Equal(("missing_required_parameter", "body.input", 1), (error.GetProperty("code").GetString(), error.GetProperty("param").GetString(), error.GetProperty("line").GetInt32()));
        Assert.Equal(0, env.Gateway.Counters.TotalRequests);
        Assert.Equal(BatchStatus.Failed, (await env.Batches.RetrieveAsync(batch.GetProperty("id").GetString()!)).Status);
    }
}
