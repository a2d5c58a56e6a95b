using LocalBatch.Cli.Output;

namespace LocalBatch.Cli.Run;

/// <summary>
/// Asks each server whether it is there before a run sends anything: its <c>/health</c> (and its <c>/v1/models</c> when it
/// has no <c>/health</c>), once, for at most <see cref="Timeout"/>. A server that cannot be reached at all (connection
/// refused, no such host) is an error at once when it is the only one, or when no server can be reached, rather than a
/// minute of retries; a run already going keeps its patient retries. A server that is slow to answer, or that answers
/// 404 to both routes, only gets a line: the run goes on.
/// </summary>
internal static class StartupProbe
{
    /// <summary>How long each server has to answer.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    /// <summary>Asks every server at once; says what it found on <paramref name="console"/>.</summary>
    /// <exception cref="CliUsageException">No server can be reached: nothing was sent.</exception>
    /// <exception cref="OperationCanceledException">Interrupted.</exception>
    public static async Task CheckAsync(IReadOnlyList<Uri> servers, string? apiKey, StatusConsole console, TimeProvider time, CancellationToken cancellationToken)
    {
        var answers = await Task.WhenAll(servers.Select(server => AskAsync(server, apiKey, time, cancellationToken))).ConfigureAwait(false);
        var unreachable = answers.Where(static answer => answer.Unreachable is not null).ToList();
        if (unreachable.Count == answers.Length)
        {
            var which = answers.Length == 1
                ? $"the server at {answers[0].Server}: {answers[0].Unreachable}"
                : "any server: " + string.Join("; ", answers.Select(static answer => $"{answer.Server} ({answer.Unreachable})"));
            throw new CliUsageException(
                $"cannot reach {which}. Nothing was sent. Check --endpoint (or {GatewaySettings.EndpointVariable}) and that llama-server is running there.");
        }

        foreach (var answer in unreachable)
        {
            console.Info($"cannot reach {answer.Server} ({answer.Unreachable}); the run goes on on the other servers and takes it in when it answers (check --endpoint if it is not the address you meant)");
        }

        foreach (var note in answers.Select(static answer => answer.Note).OfType<string>())
        {
            console.Info(note);
        }
    }

    private static async Task<Answer> AskAsync(Uri server, string? apiKey, TimeProvider time, CancellationToken cancellationToken)
    {
        var display = server.GetLeftPart(UriPartial.Path).TrimEnd('/');
        using var client = new LocalGatewayClient(new LocalBatchOptions { Endpoint = server, ApiKey = apiKey, MaxRetryAttempts = 0 });
        using var timeout = new CancellationTokenSource(Timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            var health = await client.GetHealthAsync(linked.Token).ConfigureAwait(false);
            return health.StatusCode == 404 ? await AskModelsAsync(client, display, linked.Token).ConfigureAwait(false) : new Answer(display);
        }
        catch (LocalGatewayException ex)
        {
            return new Answer(display) { Unreachable = ex.InnerException?.Message ?? ex.Message };
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return new Answer(display)
            {
                Note = $"{display} has not answered /health within {CliDurations.Describe(Timeout)}; the run goes on, and says so if its requests get no answer either",
            };
        }
    }

    /// <summary>A server without <c>/health</c> (a gateway in front of llama-server) is asked <c>/v1/models</c>: any answer but 404 will do.</summary>
    private static async Task<Answer> AskModelsAsync(LocalGatewayClient client, string display, CancellationToken cancellationToken)
    {
        try
        {
            await client.ListModelsAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (LocalGatewayException ex) when (ex.StatusCode == 404)
        {
            return new Answer(display)
            {
                Note = $"{display} answers 404 to /health and to /v1/models: it may not be the server's base address; if every request fails with 404, check --endpoint",
            };
        }
        catch (LocalGatewayException)
        {
            // It answered something else (a key it wants, a route it refuses): it is there.
        }

        return new Answer(display);
    }

    /// <summary>What one server said: nothing to report, a line to show, or why it cannot be reached.</summary>
    private sealed record Answer(string Server)
    {
        public string? Unreachable { get; init; }

        public string? Note { get; init; }
    }
}
