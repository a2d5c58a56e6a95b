using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using LocalBatch.Testing;
using LocalBatch.Tests.Reliability.Harness;

namespace LocalBatch.Server.Tests.Reliability.Harness;

/// <summary>
/// The bad input corpus of <c>serve</c>'s HTTP API: one case a file in <c>ServeCorpus/</c> (<c>NN-name.case</c>, beside
/// its request body <c>NN-name.body</c>, byte for byte, when it has one), each sent to a <c>localbatch serve</c> of its
/// own in front of a simulated gateway, and checked: the status and the OpenAI error (<c>{"error": {"message", "type",
/// "param", "code"}}</c>) its file expects, and always — JSON, no stack trace, no key echoed, nothing created in the
/// store, nothing sent to the gateway, no hang, and the server still serving afterwards.
/// </summary>
/// <remarks>
/// A case file holds a <c># description</c> line, then <c>key: value</c> lines: <c>serve:</c> (more options of serve),
/// <c>key:</c> (the client key, sent with every request of the case unless a <c>header: Authorization:</c> line says
/// otherwise, an empty one for none), <c>setup:</c> (<c>upload</c> or <c>upload PURPOSE</c>: a valid batch file
/// uploaded first, whose id replaces <c>{file_id}</c>), <c>request:</c> (method and path, as sent), <c>header:</c>
/// (<c>Name: value</c>; repeatable), <c>body:</c> (inline, with <c>\r</c>, <c>\n</c>, and <c>{xN}</c> for N x's, which the
/// path may hold too; else the <c>.body</c> file),
/// <c>upload-bytes:</c> (instead: a multipart upload of a file of that many bytes), <c>chunked: yes</c> (no
/// Content-Length), then what is expected: <c>status:</c>, <c>type:</c>, <c>param:</c> and <c>code:</c> (<c>null</c> for
/// JSON null; unchecked when absent), <c>message:</c> (a text the message must contain; repeatable), <c>no-header:</c> (a
/// header the answer must not have).
/// </remarks>
internal static partial class ServeCorpus
{
    public static readonly TimeSpan CaseTimeout = TimeSpan.FromSeconds(30);
    private const string Boundary = "corpus-boundary";
    private static readonly string[] s_stackTraceMarks = ["   at ", ".cs:line", "Exception:", "System."];

    /// <summary>Gets the corpus folder copied beside this assembly.</summary>
    public static string Folder => Path.Combine(AppContext.BaseDirectory, "ServeCorpus");

    public static IReadOnlyList<string> Names() => CaseFile.Names(Folder);

    /// <summary>Runs one case; the result lists every way it differed from what its file expects (none when it passed).</summary>
    /// <param name="name">The case, such as <c>01-json-not-multipart</c>.</param>
    /// <param name="serve">Starts <c>serve</c> with the options and returns where it listens, and what stops it.</param>
    public static async Task<Outcome> RunAsync(string name, Func<string[], Task<(Uri BaseAddress, IAsyncDisposable Server)>> serve)
    {
        var spec = Spec.Read(Path.Combine(Folder, name + ".case"));
        var state = Path.Combine(Path.GetTempPath(), "localbatch-serve-corpus", Guid.NewGuid().ToString("N"));
        var started = Stopwatch.GetTimestamp();
        try
        {
            await using var gateway = await SimulatedGateway.StartAsync();
            var (baseAddress, server) = await serve(["--gateway", gateway.Endpoint.ToString(), "--state-dir", state, .. spec.Serve]);
            await using (server)
            {
                using var http = new HttpClient { BaseAddress = baseAddress, Timeout = CaseTimeout };
                var fileId = spec.Setup is { } setup ? await UploadAsync(http, setup, spec.Key) : null;
                var before = Snapshot(state);
                using var request = spec.Request(fileId, Path.Combine(Folder, name + ".body"));
                using var response = await http.SendAsync(request);
                var body = await response.Content.ReadAsStringAsync();
                var headers = string.Join('\n', response.Headers.Concat(response.Content.Headers).Select(h => $"{h.Key}: {string.Join(", ", h.Value)}"));
                var problems = Check(spec, response, body, headers);
                if (!Snapshot(state).SequenceEqual(before))
                {
                    problems.Add($"the store changed: {string.Join(", ", Snapshot(state).Except(before))}");
                }

                var sent = gateway.Counters.TotalRequests;
                if (sent != 0)
                {
                    problems.Add($"{sent} requests reached the gateway");
                }

                using var alive = await http.SendAsync(WithKey(new HttpRequestMessage(HttpMethod.Get, "v1/batches"), spec.Key));
                if (!alive.IsSuccessStatusCode)
                {
                    problems.Add($"the server no longer serves: GET /v1/batches is {(int)alive.StatusCode}");
                }

                return new Outcome(name, spec.Description, (int)response.StatusCode, body, Stopwatch.GetElapsedTime(started), problems);
            }
        }
        finally
        {
            if (Directory.Exists(state))
            {
                Directory.Delete(state, recursive: true);
            }
        }
    }

    private static List<string> Check(Spec spec, HttpResponseMessage response, string body, string headers)
    {
        var problems = new List<string>();
        if ((int)response.StatusCode != spec.Status)
        {
            problems.Add($"status {(int)response.StatusCode}, expected {spec.Status}");
        }

        if (response.Content.Headers.ContentType?.MediaType != "application/json")
        {
            problems.Add($"Content-Type {response.Content.Headers.ContentType}, expected application/json");
        }

        if (s_stackTraceMarks.FirstOrDefault(mark => body.Contains(mark, StringComparison.Ordinal)) is { } trace)
        {
            problems.Add($"the body holds '{trace}', as a stack trace does");
        }

        foreach (var name in spec.NoHeader.Where(name => response.Headers.Contains(name) || response.Content.Headers.Contains(name)))
        {
            problems.Add($"the answer has a {name} header");
        }

        if (spec.Key is { } key && (body.Contains(key, StringComparison.Ordinal) || headers.Contains(key, StringComparison.Ordinal)))
        {
            problems.Add("the answer holds the key");
        }

        JsonElement error;
        try
        {
            error = JsonDocument.Parse(body).RootElement.GetProperty("error").Clone();
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            problems.Add("the body is not an OpenAI error");
            return problems;
        }

        var message = Field(error, "message", problems) ?? string.Empty;
        if (string.IsNullOrWhiteSpace(message))
        {
            problems.Add("the message is empty");
        }

        foreach (var (field, expected) in new[] { ("type", spec.Type), ("param", spec.Param), ("code", spec.Code) })
        {
            var actual = Field(error, field, problems);
            if (expected is not null && (expected == "null" ? actual is not null : actual != expected))
            {
                problems.Add($"{field} is {actual ?? "null"}, expected {expected}");
            }
        }

        problems.AddRange(spec.Message.Where(text => !message.Contains(text, StringComparison.Ordinal)).Select(text => $"the message lacks \"{text}\""));
        return problems;
    }

    /// <summary>A field of the error that must be there, a string or null.</summary>
    private static string? Field(JsonElement error, string name, List<string> problems)
    {
        if (!error.TryGetProperty(name, out var value) || value.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
        {
            problems.Add($"error.{name} is missing or not a string");
            return null;
        }

        return value.GetString();
    }

    private static HttpRequestMessage WithKey(HttpRequestMessage request, string? key)
    {
        request.Headers.Authorization = key is null ? null : new AuthenticationHeaderValue("Bearer", key);
        return request;
    }

    /// <summary>Uploads a valid two-line batch file with <paramref name="setup"/>'s purpose (<c>upload [PURPOSE]</c>).</summary>
    private static async Task<string> UploadAsync(HttpClient http, string setup, string? key)
    {
        var purpose = setup.Split(' ', StringSplitOptions.RemoveEmptyEntries) is [_, var given] ? given : "batch";
        const string Line = """{"custom_id": "%", "method": "POST", "url": "/v1/chat/completions", "body": {"messages": [{"role": "user", "content": "hi"}]}}""";
        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(Encoding.UTF8.GetBytes(Line.Replace("%", "a", StringComparison.Ordinal) + "\n" + Line.Replace("%", "b", StringComparison.Ordinal) + "\n")), "file", "setup.jsonl" },
            { new StringContent(purpose), "purpose" },
        };
        using var response = await http.SendAsync(WithKey(new HttpRequestMessage(HttpMethod.Post, "v1/files") { Content = form }, key));
        var text = await response.Content.ReadAsStringAsync();
        return response.IsSuccessStatusCode
            ? JsonDocument.Parse(text).RootElement.GetProperty("id").GetString()!
            : throw new InvalidOperationException($"The setup upload failed: {(int)response.StatusCode} {text}");
    }

    /// <summary>Every file and folder under the store, by path.</summary>
    private static List<string> Snapshot(string state) => Directory.Exists(state)
        ? [.. Directory.GetFileSystemEntries(state, "*", SearchOption.AllDirectories).Select(path => Path.GetRelativePath(state, path)).Order(StringComparer.Ordinal)]
        : [];

    /// <summary>What one case did, and every way it differed from its file.</summary>
    public sealed record Outcome(string Name, string Description, int Status, string Body, TimeSpan Elapsed, IReadOnlyList<string> Problems)
    {
        public bool Passed => Problems.Count == 0;

        public override string ToString() =>
            $"{Name} ({Description}): {Status}{(Passed ? string.Empty : "; " + string.Join("; ", Problems))}\n{Body}";
    }

    /// <summary>A case file, read.</summary>
    private sealed record Spec(
        string Description,
        IReadOnlyList<string> Serve,
        string? Key,
        string? Setup,
        string Method,
        string Path,
        IReadOnlyList<(string Name, string Value)> Headers,
        string? Body,
        int? UploadBytes,
        bool Chunked,
        int Status,
        string? Type,
        string? Param,
        string? Code,
        IReadOnlyList<string> Message,
        IReadOnlyList<string> NoHeader)
    {
        public static Spec Read(string path)
        {
            var file = CaseFile.Read(path);
            var request = file.Required("request").Split(' ', 2);
            return new Spec(
                file.Description,
                file.One("serve")?.Split(' ', StringSplitOptions.RemoveEmptyEntries) ?? [],
                file.One("key"),
                file.One("setup"),
                request[0],
                request[1],
                [.. file.All("header").Select(header => (header[..header.IndexOf(':', StringComparison.Ordinal)].Trim(), header[(header.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim()))],
                file.One("body")?.Replace("\\r", "\r", StringComparison.Ordinal).Replace("\\n", "\n", StringComparison.Ordinal),
                file.Number("upload-bytes"),
                file.One("chunked") == "yes",
                int.Parse(file.Required("status"), CultureInfo.InvariantCulture),
                file.One("type"),
                file.One("param"),
                file.One("code"),
                file.All("message"),
                file.All("no-header"));
        }

        /// <summary>The request: its path with <c>{file_id}</c> filled in, its headers, and its body.</summary>
        public HttpRequestMessage Request(string? fileId, string bodyPath)
        {
            var request = WithKey(new HttpRequestMessage(new HttpMethod(Method), Expand(Path, fileId).TrimStart('/')), Key);
            var bytes = UploadBytes is { } size ? UploadOf(size)
                : Body is { } inline ? Encoding.UTF8.GetBytes(Expand(inline, fileId))
                : File.Exists(bodyPath) ? File.ReadAllBytes(bodyPath)
                : null;
            if (bytes is not null)
            {
                request.Content = Chunked ? new StreamContent(new UnknownLengthStream(bytes)) : new ByteArrayContent(bytes);
                if (UploadBytes is not null)
                {
                    request.Content.Headers.TryAddWithoutValidation("Content-Type", $"multipart/form-data; boundary={Boundary}");
                }
            }

            foreach (var (name, value) in Headers)
            {
                if (name.Equals("Authorization", StringComparison.OrdinalIgnoreCase))
                {
                    request.Headers.Remove(name);
                    if (value.Length > 0)
                    {
                        request.Headers.TryAddWithoutValidation(name, value);
                    }
                }
                else if (name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase))
                {
                    (request.Content ??= new ByteArrayContent([])).Headers.TryAddWithoutValidation(name, value);
                }
                else
                {
                    request.Headers.TryAddWithoutValidation(name, value);
                }
            }

            return request;
        }

        /// <summary>The text with <c>{file_id}</c> filled in and each <c>{xN}</c> made N x's.</summary>
        private static string Expand(string text, string? fileId) =>
            Repeat().Replace(text.Replace("{file_id}", fileId, StringComparison.Ordinal), match => new string('x', int.Parse(match.Groups["n"].Value, CultureInfo.InvariantCulture)));

        /// <summary>A multipart upload of a batch file of <paramref name="size"/> bytes.</summary>
        private static byte[] UploadOf(int size) =>
        [
            .. Encoding.ASCII.GetBytes($"--{Boundary}\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n--{Boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.jsonl\"\r\n\r\n"),
            .. Enumerable.Repeat((byte)'x', size),
            .. Encoding.ASCII.GetBytes($"\r\n--{Boundary}--\r\n"),
        ];
    }

    [GeneratedRegex("{x(?<n>[0-9]{1,8})}")]
    private static partial Regex Repeat();

    /// <summary>A stream whose length is not known, so that the request is sent chunked.</summary>
    private sealed class UnknownLengthStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}
