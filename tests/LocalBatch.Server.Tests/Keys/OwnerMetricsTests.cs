using System.Text.RegularExpressions;
using LocalBatch.Server.Tests.Support;
using static LocalBatch.Server.Tests.Support.ServerTestEnvironment;
using static LocalBatch.Tests.Support.BatchTestEnvironment;

namespace LocalBatch.Server.Tests.Keys;

/// <summary>serve's /metrics: batches by status, requests and tokens per owner; for admin keys.</summary>
public sealed class OwnerMetricsTests
{
    [Fact]
    public async Task Metrics_CountBatchesByStatusAndRequestsAndTokensPerOwner_ForAdminsOnly()
    {
        using var keys = await TeamKeys.CreateAsync();
        await using var env = await ServeAsync(options => options.KeysFile = keys.Path);
        var ana = keys.Client(env, keys.Ana);
        await env.WaitAsync(await TeamKeys.StartBatchAsync(ana, ChatLines(3)));
        await env.WaitAsync(await TeamKeys.StartBatchAsync(ana, ChatLines(2)));
        await env.WaitAsync(await TeamKeys.StartBatchAsync(keys.Client(env, keys.Bob), ChatLines(4, i => i == 1 ? "FAIL" : "p")));

        var text = await (await keys.Client(env, keys.Ops).GetAsync("/metrics")).Content.ReadAsStringAsync();
        var forAna = await ana.GetAsync("/metrics");

        Assert.Equal(2, Value(text, "localbatch_batches", "localbatch_batch_status=\"completed\"", "localbatch_owner=\"ana\""));
        Assert.Equal(1, Value(text, "localbatch_batches", "localbatch_batch_status=\"completed\"", "localbatch_owner=\"bob\""));
        Assert.Equal(5, Value(text, "localbatch_batch_requests", "localbatch_owner=\"ana\"", "localbatch_request_outcome=\"completed\""));
        Assert.Equal(1, Value(text, "localbatch_batch_requests", "localbatch_owner=\"bob\"", "localbatch_request_outcome=\"failed\""));
        Assert.True(Value(text, "localbatch_batch_tokens", "localbatch_owner=\"ana\"", "localbatch_token_type=\"prompt\"") > 0);
        Assert.Equal("permission_denied", (await ErrorAsync(forAna, 403)).GetProperty("code").GetString());
    }

    /// <summary>The value of the series of <paramref name="name"/> with these labels (in the exporter's order, by name).</summary>
    private static long Value(string text, string name, params string[] labels)
    {
        var match = Regex.Match(text, $@"^{name}\{{[^}}]*{string.Join("[^}]*", labels.Select(Regex.Escape))}[^}}]*\}} (\d+)", RegexOptions.Multiline);
        Assert.True(match.Success, $"no {name} with {string.Join(", ", labels)} in:\n{text}");
        return long.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }
}
