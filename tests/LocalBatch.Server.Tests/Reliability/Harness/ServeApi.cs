using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace LocalBatch.Server.Tests.Reliability.Harness;

/// <summary>
/// The few calls of OpenAI's Files and Batch API that the reliability harness makes on plain <see cref="HttpClient"/>
/// (the tests use the OpenAI SDK where they can; <c>bench reliability</c> has no SDK).
/// </summary>
internal static class ServeApi
{
    public static readonly TimeSpan EndTimeout = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan s_pollInterval = TimeSpan.FromMilliseconds(50);
    private static readonly string[] s_endStates = ["completed", "failed", "expired", "cancelled"];

    /// <summary>Uploads a batch input file; returns its id.</summary>
    public static async Task<string> UploadAsync(HttpClient http, byte[] content, string fileName = "requests.jsonl")
    {
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(content);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/jsonl");
        form.Add(file, "file", fileName);
        form.Add(new StringContent("batch"), "purpose");
        return (await ReadAsync(await http.PostAsync("v1/files", form))).GetProperty("id").GetString()!;
    }

    /// <summary>Creates a batch of an uploaded file; returns the batch object answered.</summary>
    public static async Task<JsonElement> CreateBatchAsync(HttpClient http, string inputFileId, string endpoint) =>
        await ReadAsync(await http.PostAsJsonAsync("v1/batches", new Dictionary<string, string>
        {
            ["input_file_id"] = inputFileId,
            ["endpoint"] = endpoint,
            ["completion_window"] = "24h",
        }));

    public static async Task<JsonElement> GetBatchAsync(HttpClient http, string batchId) =>
        await ReadAsync(await http.GetAsync($"v1/batches/{batchId}"));

    /// <summary>Asks for the batch until it has ended (a wait for a condition, not for a time), for at most <see cref="EndTimeout"/>.</summary>
    public static async Task<JsonElement> WaitForEndAsync(HttpClient http, string batchId)
    {
        var started = TimeProvider.System.GetTimestamp();
        while (true)
        {
            var batch = await GetBatchAsync(http, batchId);
            if (s_endStates.Contains(batch.GetProperty("status").GetString()))
            {
                return batch;
            }

            if (TimeProvider.System.GetElapsedTime(started) > EndTimeout)
            {
                throw new TimeoutException($"Batch {batchId} did not end within {EndTimeout}: {batch}");
            }

            await Task.Delay(s_pollInterval);
        }
    }

    /// <summary>A file's content; empty when <paramref name="fileId"/> is null (a batch without such a file).</summary>
    public static async Task<byte[]> DownloadAsync(HttpClient http, string? fileId)
    {
        if (fileId is null)
        {
            return [];
        }

        var response = await http.GetAsync($"v1/files/{fileId}/content");
        return response.IsSuccessStatusCode
            ? await response.Content.ReadAsByteArrayAsync()
            : throw new HttpRequestException($"GET v1/files/{fileId}/content: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    private static async Task<JsonElement> ReadAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return response.IsSuccessStatusCode
            ? JsonDocument.Parse(text).RootElement.Clone()
            : throw new HttpRequestException($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: {(int)response.StatusCode} {text}");
    }
}
