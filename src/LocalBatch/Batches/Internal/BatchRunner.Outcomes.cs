using LocalBatch.Internal;
using LocalBatch.Processing.Internal;

namespace LocalBatch.Batches.Internal;

/// <content>What a run sends, and in what order: coalesced embedding lines, runs of shared prompt prefixes, or input order.</content>
internal sealed partial class BatchRunner
{
    /// <summary>
    /// The unanswered requests sent, each with its outcome as it finishes: embedding lines coalesced into array calls;
    /// other lines in runs of shared prompt prefixes when some share one, else in input order.
    /// </summary>
    /// <remarks>Sent with the run's stop token, each answer checked by its stop source: the first refused API key stops the sending.</remarks>
    private async Task<IAsyncEnumerable<(BatchInputLine Request, BatchItemResult<GatewayResponse> Result)>> OutcomesAsync(BatchResultFiles files)
    {
        var endpoint = Current.Endpoint;
        var remaining = Current.RequestCounts.Total - files.Completed - files.Failed;
        var unanswered = BatchInputFile.ReadUnansweredAsync(_store, Current, files.Answered, _stop.Token);
        if (endpoint == "/v1/embeddings")
        {
            var client = _processor.Client;
            var chunks = EmbeddingLineCoalescer.ChunkAsync(unanswered, client.Options.MaxEmbeddingInputsPerRequest, _stop.Token);
            var coalesced = new BatchOperation<IReadOnlyList<BatchInputLine>, GatewayResponse[]>(
                (chunk, server, ct) => _stop.SendAsync(token => EmbeddingLineCoalescer.SendAsync(client, chunk, server, token), ct),
                static _ => null);
            return EachLineAsync(_processor.StreamAsync(chunks, coalesced, endpoint, remaining, _progress, reportServers: false, _stop.Token));
        }

        var operation = new BatchOperation<BatchInputLine, GatewayResponse>(
            (line, server, ct) => _stop.SendAsync(token => _processor.Client.SendRawAsync(endpoint, line.Body, server, token), ct),
            static _ => null,
            BatchResultMapper.ErrorOf);
        return await PlanAsync(endpoint, files).ConfigureAwait(false) is { } plan
            ? _processor.StreamRunsAsync(plan.ReadRunsAsync(_stop.Token), operation, endpoint, remaining, _progress, _stop.Token)
            : _processor.StreamAsync(unanswered, operation, endpoint, remaining, _progress, reportServers: false, _stop.Token);
    }

    /// <summary>A coalesced chunk's outcome as each of its lines' own.</summary>
    private static async IAsyncEnumerable<(BatchInputLine Request, BatchItemResult<GatewayResponse> Result)> EachLineAsync(
        IAsyncEnumerable<(IReadOnlyList<BatchInputLine> Request, BatchItemResult<GatewayResponse[]> Result)> chunks)
    {
        await foreach (var (chunk, result) in chunks.ConfigureAwait(false))
        {
            for (var i = 0; i < chunk.Count; i++)
            {
                var answer = result.Value?[i];
                yield return (chunk[i], new BatchItemResult<GatewayResponse>
                {
                    Index = chunk[i].Index,
                    Value = answer,
                    Error = answer is null ? result.Error : BatchResultMapper.ErrorOf(answer),
                    Attempts = result.Attempts,
                    Elapsed = result.Elapsed,
                });
            }
        }
    }

    /// <summary>
    /// The order of the unanswered requests when some share a prompt prefix and prefix affinity is on (not for
    /// embeddings, which have no prompt cache to reuse); <see langword="null"/> to send them in input order.
    /// </summary>
    private async Task<BatchRunPlan?> PlanAsync(string endpoint, BatchResultFiles files)
    {
        if (!_processor.Client.Options.UsePrefixAffinity || endpoint == "/v1/embeddings")
        {
            return null;
        }

        var lanes = await _processor.GetConcurrencyAsync(_stop.Token).ConfigureAwait(false);
        var plan = await BatchRunPlan.CreateAsync(_store, Current, files.Answered, lanes, _stop.Token).ConfigureAwait(false);
        if (plan is not null)
        {
            Log.BatchPlannedByPrefix(_logger, Current.Id, plan.Count, plan.Runs);
        }

        return plan;
    }
}
