using LocalBatch.Batches;
using static LocalBatch.Tests.Support.BatchTestEnvironment;

namespace LocalBatch.Tests.Batches;

public sealed class BatchInputValidationTests
{
    [Fact]
    public async Task CreateAsync_ManyProblems_FailsWithEveryErrorAndLineAndSendsNothing()
    {
        await using var env = await StartAsync();
        await using var manager = env.CreateManager();
        var input = string.Join("\n",
            ChatLine("a"),
            "{not json",
            """{"method":"POST","url":"/v1/chat/completions","body":{}}""",
            ChatLine("a"),
            """{"custom_id":"m","method":"GET","url":"/v1/chat/completions","body":{}}""",
            """{"custom_id":"u","method":"POST","url":"/v1/batches","body":{}}""",
            """{"custom_id":"e","method":"POST","url":"/v1/embeddings","body":{"input":"x"}}""",
            """{"custom_id":"b","method":"POST","url":"/v1/chat/completions","body":"text"}""",
            """{"custom_id":"s","method":"POST","url":"/v1/chat/completions","body":{"stream":true}}""",
            "[1,2]") + "\n";

        var job = await manager.CreateAsync(ToStream(input));

        Assert.Equal(BatchStatus.Failed, job.Status);
        Assert.NotNull(job.FailedAt);
        Assert.Null(job.InProgressAt);
        var errors = job.Errors!.Data;
        Assert.Equal("list", job.Errors.Object);
        Assert.Equal(
            [
                ("invalid_json_line", null, 2),
                ("missing_required_parameter", "custom_id", 3),
                ("duplicate_custom_id", "custom_id", 4),
                ("invalid_method", "method", 5),
                ("invalid_url", "url", 6),
                ("mismatched_url", "url", 7),
                ("invalid_request", "body", 8),
                ("invalid_request", "body.stream", 9),
                ("invalid_json_line", null, 10),
            ],
            errors.Select(e => (e.Code, e.Param, e.Line ?? 0)).ToArray());
        Assert.All(errors, e => Assert.False(string.IsNullOrWhiteSpace(e.Message)));
        Assert.Equal(0, env.Gateway.Counters.TotalRequests);
        Assert.Equal(BatchStatus.Failed, (await manager.RetrieveAsync(job.Id)).Status);
        Assert.False(manager.IsRunning(job.Id));
    }

    [Fact]
    public async Task CreateAsync_RepeatedIdsAfterBlankLines_NamesEachIdWithItsFirstLineAndTheRealLineNumbers()
    {
        await using var env = await StartAsync();
        await using var manager = env.CreateManager();
        var input = string.Join("\r\n", ChatLine("a"), ChatLine("b"), "", "", ChatLine("a"), ChatLine("c"), "", ChatLine("b"), ChatLine("a")) + "\r\n";

        var job = await manager.CreateAsync(ToStream(input));

        Assert.Equal(BatchStatus.Failed, job.Status);
        var duplicates = job.Errors!.Data.Where(e => e.Code == "duplicate_custom_id").ToArray();
        Assert.Equal([5, 8, 9], duplicates.Select(e => e.Line ?? 0));
        Assert.Contains("'a' is already used by line 1", duplicates[0].Message, StringComparison.Ordinal);
        Assert.Contains("'b' is already used by line 2", duplicates[1].Message, StringComparison.Ordinal);
        Assert.Contains("'a' is already used by line 1", duplicates[2].Message, StringComparison.Ordinal);
        Assert.Equal([3, 4, 5, 7, 8, 9], job.Errors.Data.Select(e => e.Line ?? 0)); // blank lines 3, 4, 7 are errors too, all in line order
        Assert.Equal(0, env.Gateway.Counters.TotalRequests);
    }

    [Fact]
    public async Task CreateAsync_MoreProblemsThanListed_ListsTheFirstThousandByLineIncludingAnEarlyDuplicate()
    {
        await using var env = await StartAsync();
        await using var manager = env.CreateManager();
        var input = string.Join("\n", [ChatLine("a"), ChatLine("a"), .. Enumerable.Repeat("{bad", 1000)]) + "\n";

        var job = await manager.CreateAsync(ToStream(input));

        var errors = job.Errors!.Data;
        Assert.Equal(1001, errors.Count);
        Assert.Equal(("duplicate_custom_id", 2), (errors[0].Code, errors[0].Line ?? 0));
        Assert.Equal(Enumerable.Range(2, 1000), errors.Take(1000).Select(e => e.Line ?? 0));
        Assert.Equal("too_many_errors", errors[^1].Code);
        Assert.StartsWith("1 more", errors[^1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateAsync_LineStartingWithASecondByteOrderMark_IsInvalidAndNotTheFirstUseOfItsId()
    {
        await using var env = await StartAsync();
        await using var manager = env.CreateManager();
        var input = "\uFEFF\uFEFF" + string.Join("\n", ChatLine("a"), ChatLine("a"), ChatLine("a")) + "\n";

        var job = await manager.CreateAsync(ToStream(input));

        Assert.Equal([("invalid_json_line", 1), ("duplicate_custom_id", 3)], job.Errors!.Data.Select(e => (e.Code, e.Line ?? 0)));
        Assert.Contains("already used by line 2", job.Errors.Data[1].Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n\n")]
    [InlineData("  \r\n")]
    public async Task CreateAsync_EmptyFile_FailsWithEmptyFile(string input)
    {
        await using var env = await StartAsync();
        await using var manager = env.CreateManager();

        var job = await manager.CreateAsync(ToStream(input));

        Assert.Equal(BatchStatus.Failed, job.Status);
        var error = Assert.Single(job.Errors!.Data);
        Assert.Equal("empty_file", error.Code);
        Assert.Null(error.Line);
        Assert.Equal(0, env.Gateway.Counters.TotalRequests);
    }

    [Fact]
    public async Task CreateAsync_MoreLinesThanMax_FailsWithTooManyTasksAtFirstExtraLine()
    {
        await using var env = await StartAsync();
        await using var manager = env.CreateManager(new BatchJobManagerOptions { MaxLinesPerBatch = 3 });

        var job = await manager.CreateAsync(ToStream(ChatLines(5)));

        Assert.Equal(BatchStatus.Failed, job.Status);
        var error = Assert.Single(job.Errors!.Data);
        Assert.Equal(("too_many_tasks", 4), (error.Code, error.Line));
        Assert.Equal(0, env.Gateway.Counters.TotalRequests);
    }

    [Fact]
    public async Task CreateAsync_MaxRequestsOfTheBatch_TakesThePlaceOfTheManagersLimit()
    {
        await using var env = await StartAsync();
        await using var manager = env.CreateManager(new BatchJobManagerOptions { MaxLinesPerBatch = 3 });

        var more = await manager.CreateAsync(ToStream(ChatLines(5)), options: new BatchCreateOptions { MaxRequests = 5 });
        var fewer = await manager.CreateAsync(ToStream(ChatLines(3)), options: new BatchCreateOptions { MaxRequests = 2 });

        Assert.Equal(BatchStatus.Completed, (await manager.WaitAsync(more.Id)).Status);
        Assert.Equal(("too_many_tasks", 3), (Assert.Single(fewer.Errors!.Data).Code, Assert.Single(fewer.Errors.Data).Line));
        await Assert.ThrowsAsync<ArgumentException>(() => manager.CreateAsync(ToStream(ChatLines(1)), options: new BatchCreateOptions { MaxRequests = 0 }));
    }

    [Theory]
    [InlineData("/v1/responses", """{"max_output_tokens":4}""", "missing_required_parameter", "body.input")]
    [InlineData("/v1/responses", """{"input":null}""", "missing_required_parameter", "body.input")]
    [InlineData("/v1/responses", """{"input":{"role":"user"}}""", "invalid_request", "body.input")]
    [InlineData("/v1/messages", """{"max_tokens":4}""", "missing_required_parameter", "body.messages")]
    [InlineData("/v1/messages", """{"max_tokens":4,"messages":"hi"}""", "invalid_request", "body.messages")]
    public async Task CreateAsync_ResponseWithoutInputOrMessageWithoutMessages_FailsNamingTheFieldAndSendsNothing(string url, string body, string code, string param)
    {
        await using var env = await StartAsync();
        await using var manager = env.CreateManager();

        var job = await manager.CreateAsync(ToStream($$"""{"custom_id":"a","method":"POST","url":"{{url}}","body":{{body}}}""" + "\n"));

        Assert.Equal(BatchStatus.Failed, job.Status);
        Assert.Equal(url, job.Endpoint);
        var error = Assert.Single(job.Errors!.Data);
        Assert.Equal((code, param, 1), (error.Code, error.Param, error.Line));
        Assert.Contains(url, error.Message, StringComparison.Ordinal);
        Assert.Equal(0, env.Gateway.Counters.TotalRequests);
    }

    [Fact]
    public async Task CreateAsync_ExactlyMaxLines_Runs()
    {
        await using var env = await StartAsync();
        await using var manager = env.CreateManager(new BatchJobManagerOptions { MaxLinesPerBatch = 3 });

        var job = await manager.CreateAsync(ToStream(ChatLines(3)));
        var final = await manager.WaitAsync(job.Id);

        Assert.Equal(BatchStatus.Completed, final.Status);
        Assert.Equal(3, env.ChatRequests);
    }

    [Fact]
    public async Task CreateAsync_CrlfAndTrailingBlankLine_Accepted()
    {
        await using var env = await StartAsync();
        await using var manager = env.CreateManager();
        var input = ChatLine("a") + "\r\n" + ChatLine("b") + "\r\n\r\n";

        var job = await manager.CreateAsync(ToStream(input));
        var final = await manager.WaitAsync(job.Id);

        Assert.Null(job.Errors);
        Assert.Equal(BatchStatus.Completed, final.Status);
        Assert.Equal(new BatchRequestCounts(2, 2, 0), final.RequestCounts);
        Assert.Equal(2, env.ChatRequests);
    }

    [Fact]
    public async Task CreateAsync_BlankLineBetweenRequests_ReportsThatLine()
    {
        await using var env = await StartAsync();
        await using var manager = env.CreateManager();

        var job = await manager.CreateAsync(ToStream(ChatLine("a") + "\n\n" + ChatLine("b") + "\n"));

        Assert.Equal(BatchStatus.Failed, job.Status);
        Assert.Equal(("invalid_json_line", 2), (Assert.Single(job.Errors!.Data).Code, job.Errors.Data[0].Line));
    }

    [Fact]
    public async Task CreateAsync_UrlDiffersFromGivenEndpoint_ReportsMismatchOnEveryLine()
    {
        await using var env = await StartAsync();
        await using var manager = env.CreateManager();

        var job = await manager.CreateAsync(ToStream(ChatLines(2)), endpoint: "/v1/completions");

        Assert.Equal(BatchStatus.Failed, job.Status);
        Assert.Equal([("mismatched_url", 1), ("mismatched_url", 2)], job.Errors!.Data.Select(e => (e.Code, e.Line ?? 0)).ToArray());
        Assert.Equal("/v1/completions", job.Endpoint);
        Assert.Equal(0, env.Gateway.Counters.TotalRequests);
    }

    [Theory]
    [InlineData("/v1/batches")]
    [InlineData("/v1/images/generations")]
    public async Task CreateAsync_UnsupportedEndpointArgument_ThrowsArgumentException(string endpoint)
    {
        await using var env = await StartAsync();
        await using var manager = env.CreateManager();

        await Assert.ThrowsAsync<ArgumentException>(() => manager.CreateAsync(ToStream(ChatLines(1)), endpoint));
    }

    [Fact]
    public async Task CreateAsync_MissingMethodUrlAndBody_ReportsEachParam()
    {
        await using var env = await StartAsync();
        await using var manager = env.CreateManager();

        var job = await manager.CreateAsync(ToStream("""{"custom_id":"x"}""" + "\n"));

        Assert.Equal(
            [("missing_required_parameter", "method"), ("missing_required_parameter", "url"), ("missing_required_parameter", "body")],
            job.Errors!.Data.Select(e => (e.Code, e.Param)).ToArray());
        Assert.All(job.Errors.Data, e => Assert.Equal(1, e.Line));
    }

    [Theory]
    [InlineData("""{"custom_id":12,"method":"POST","url":"/v1/chat/completions","body":{}}""", "custom_id must be a string; got a number.")]
    [InlineData("""{"custom_id":"","method":"POST","url":"/v1/chat/completions","body":{}}""", "custom_id must not be empty.")]
    [InlineData("""{"custom_id":null,"method":"POST","url":"/v1/chat/completions","body":{}}""", "custom_id must be a string; got null.")]
    [InlineData("""{"custom_id":["a"],"method":"POST","url":"/v1/chat/completions","body":{}}""", "custom_id must be a string; got an array.")]
    public async Task CreateAsync_CustomIdPresentButNotNonEmptyString_SaysWhatIsWrongWithIt(string line, string message)
    {
        await using var env = await StartAsync();
        await using var manager = env.CreateManager();

        var job = await manager.CreateAsync(ToStream(line + "\n"));

        var error = Assert.Single(job.Errors!.Data);
        Assert.Equal(("invalid_request", "custom_id", 1, message), (error.Code, error.Param, error.Line ?? 0, error.Message));
    }

    [Theory]
    [InlineData("""{"custom_id":"a","method":1,"url":"/v1/chat/completions","body":{}}""", "invalid_method", "method", "The method must be \"POST\"; got a number.")]
    [InlineData("""{"custom_id":"a","method":"POST","url":true,"body":{}}""", "invalid_url", "url", "The url must be one of /v1/completions, /v1/chat/completions, /v1/embeddings, /v1/responses, /v1/messages; got a boolean.")]
    public async Task CreateAsync_MethodOrUrlNotAString_SaysWhatIsWrongWithIt(string line, string code, string param, string message)
    {
        await using var env = await StartAsync();
        await using var manager = env.CreateManager();

        var job = await manager.CreateAsync(ToStream(line + "\n"));

        var error = Assert.Single(job.Errors!.Data);
        Assert.Equal((code, param, 1), (error.Code, error.Param, error.Line ?? 0));
        Assert.StartsWith(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateAsync_Utf8BomAndNoFinalNewline_Accepted()
    {
        await using var env = await StartAsync();
        await using var manager = env.CreateManager();
        var bytes = System.Text.Encoding.UTF8.GetPreamble().Concat(System.Text.Encoding.UTF8.GetBytes(ChatLine("a") + "\n" + ChatLine("b"))).ToArray();

        var job = await manager.CreateAsync(new MemoryStream(bytes));
        var final = await manager.WaitAsync(job.Id);

        Assert.Equal(new BatchRequestCounts(2, 2, 0), final.RequestCounts);
    }

    [Fact]
    public async Task CreateAsync_MoreThanThousandProblems_ListsThousandAndCountsTheRest()
    {
        await using var env = await StartAsync();
        await using var manager = env.CreateManager();

        var job = await manager.CreateAsync(ToStream(string.Concat(Enumerable.Repeat("{bad\n", 1005))));

        Assert.Equal(1001, job.Errors!.Data.Count);
        Assert.Equal(1000, job.Errors.Data[999].Line);
        Assert.Equal("too_many_errors", job.Errors.Data[1000].Code);
        Assert.Contains("5 more", job.Errors.Data[1000].Message, StringComparison.Ordinal);
        Assert.Equal(0, env.Gateway.Counters.TotalRequests);
    }
}
