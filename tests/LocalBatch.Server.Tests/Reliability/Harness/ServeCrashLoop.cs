using System.Text.Json;
using LocalBatch.Testing;
using LocalBatch.Tests.Reliability.Harness;

namespace LocalBatch.Server.Tests.Reliability.Harness;

/// <summary>
/// <c>localbatch serve</c> on one store, started again and again as a child process and killed outright (SIGKILL) while
/// one batch runs: after so many more requests reach the gateway, or while the gateway is down. Every start resumes
/// the batch by itself; <see cref="RunToEndAsync{T}"/> finally lets it finish. The test and <c>bench reliability</c> use it.
/// </summary>
/// <param name="gateway">The gateway the server runs batches on (its request count places the kills).</param>
/// <param name="options">The options of <c>serve</c> (<c>--gateway</c>, <c>--state-dir</c>, …).</param>
/// <param name="stateDirectory">Its <c>--state-dir</c>.</param>
internal sealed class ServeCrashLoop(SimulatedGateway gateway, IReadOnlyList<string> options, string stateDirectory)
{
    /// <summary>Gets or sets the batch the kills are counted against (created by the first run's <c>first</c> step).</summary>
    public string? BatchId { get; set; }

    /// <summary>Gets the number of times the server was started.</summary>
    public int Runs { get; private set; }

    /// <summary>Gets the number of kills that landed while the batch was unfinished.</summary>
    public int Kills { get; private set; }

    /// <summary>Starts the server.</summary>
    public Task<ServeProcess> StartAsync()
    {
        Runs++;
        return ServeProcess.StartAsync(options);
    }

    /// <summary>Starts the server, runs <paramref name="first"/> (such as creating the batch), then kills it once the gateway has seen <paramref name="more"/> more requests.</summary>
    public async Task<bool> KillAfterRequestsAsync(int more, Func<ServeProcess, Task>? first = null)
    {
        await using var serve = await StartAsync();
        if (first is not null)
        {
            await first(serve);
        }

        await WaitForRequestsOrExitAsync(serve, more);
        await serve.KillAsync();
        return await CountAsync();
    }

    /// <summary>The gateway dies mid-batch; the server is killed while it waits for it; then the gateway comes back.</summary>
    public async Task<bool> KillWhileTheGatewayIsDownAsync(int more)
    {
        await using var serve = await StartAsync();
        await WaitForRequestsOrExitAsync(serve, more);
        await gateway.StopListeningAsync();
        await serve.KillAsync();
        await gateway.StartListeningAsync();
        return await CountAsync();
    }

    /// <summary>Starts the server, waits for the batch to end (asking for it over HTTP), and reads what <paramref name="read"/> takes from it.</summary>
    public async Task<T> RunToEndAsync<T>(Func<ServeProcess, JsonElement, Task<T>> read)
    {
        await using var serve = await StartAsync();
        using var http = serve.CreateClient();
        var batch = await ServeApi.WaitForEndAsync(http, BatchId ?? throw new InvalidOperationException("No batch yet."));
        return await read(serve, batch);
    }

    /// <summary>The status of the batch in the store, as the last run left it.</summary>
    public async Task<string> ReadStatusAsync()
    {
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(stateDirectory, BatchId!, "batch.json")));
        return json.RootElement.GetProperty("status").GetString()!;
    }

    /// <summary>Counts the kill when the batch had not ended.</summary>
    private async Task<bool> CountAsync()
    {
        var landed = BatchId is not null && await ReadStatusAsync() is "validating" or "in_progress" or "finalizing" or "cancelling";
        Kills += landed ? 1 : 0;
        return landed;
    }

    private Task WaitForRequestsOrExitAsync(ServeProcess serve, int more) => CrashLoop.WaitForRequestsOrExitAsync(gateway, serve.Cli, more);
}
