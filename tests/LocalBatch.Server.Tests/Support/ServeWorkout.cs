using System.Net.Http.Json;
using System.Text;
using LocalBatch.Server.Tests.Reliability.Harness;
using LocalBatch.Testing;
using static LocalBatch.Tests.Support.BatchTestEnvironment;

namespace LocalBatch.Server.Tests.Support;

/// <summary>
/// What clients do with serve in a day, good and bad, every answer recorded: a batch with refused lines through
/// transient faults, its files and results, lists, proxied generations (plain and streamed), models and props, errors
/// of every kind (unknown and bad ids, a bad upload, a cancel too late), and requests with no key or a wrong one.
/// </summary>
internal static class ServeWorkout
{
    public const int Lines = 12;

    /// <summary>Runs the day against serve at <paramref name="baseAddress"/>; returns the batch's id and the recorder of every answer.</summary>
    public static async Task<(string BatchId, RecordingHandler Answers)> RunAsync(Uri baseAddress, SimulatedGateway gateway, string key, string wrongKey)
    {
        var answers = new RecordingHandler();
        using var http = new HttpClient(answers, disposeHandler: false) { BaseAddress = baseAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", key);
        foreach (var kind in new[] { SimulatedFaultKind.ServiceUnavailable, SimulatedFaultKind.InternalServerError })
        {
            gateway.EnqueueFault(new SimulatedFault(kind) { Path = Chat, RetryAfter = TimeSpan.Zero });
        }

        var fileId = await ServeApi.UploadAsync(http, Encoding.UTF8.GetBytes(ChatLines(Lines, i => i % 5 == 0 ? $"FAIL {i}" : $"prompt {i}")));
        var batchId = (await ServeApi.CreateBatchAsync(http, fileId, Chat)).GetProperty("id").GetString()!;
        var batch = await ServeApi.WaitForEndAsync(http, batchId);
        string[] reads =
        [
            "v1/batches", "v1/files", "v1/files?purpose=batch_output", $"v1/files/{fileId}", $"v1/files/{fileId}/content", $"v1/batches/{batchId}/results",
            $"v1/files/{batch.GetProperty("output_file_id").GetString()}/content", $"v1/files/{batch.GetProperty("error_file_id").GetString()}/content",
            "v1/models", "props", "health", "v1/batches/batch_0123abcd", "v1/files/file-0123456789abcdef0123456789abcdef", "v1/files/..%2F..%2Fbatch.json", "v1/batches?limit=0",
        ];
        foreach (var path in reads)
        {
            await http.GetAsync(path);
        }

        var chat = new { messages = new[] { new { role = "user", content = "hello" } }, max_tokens = 4 };
        await http.PostAsJsonAsync("v1/chat/completions", chat);
        await http.PostAsJsonAsync("v1/chat/completions", new { chat.messages, chat.max_tokens, stream = true });
        await http.PostAsJsonAsync("v1/embeddings", new { input = new[] { "one", "two" } });
        await http.PostAsync($"v1/batches/{batchId}/cancel", content: null);
        await http.PostAsync("v1/files", new StringContent("{}", Encoding.UTF8, "application/json"));
        await http.PostAsJsonAsync("v1/batches", new { input_file_id = fileId, endpoint = "/v1/images", completion_window = "24h" });

        using var stranger = new HttpClient(answers, disposeHandler: false) { BaseAddress = baseAddress };
        foreach (var authorization in new[] { null, $"Bearer {wrongKey}", $"Basic {key}", wrongKey })
        {
            foreach (var path in new[] { "v1/batches", $"v1/files/{fileId}/content", "v1/models" })
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, path);
                if (authorization is not null)
                {
                    request.Headers.TryAddWithoutValidation("Authorization", authorization);
                }

                await stranger.SendAsync(request);
            }
        }

        return (batchId, answers);
    }
}
