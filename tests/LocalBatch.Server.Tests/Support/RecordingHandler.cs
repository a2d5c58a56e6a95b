using System.Net.Http.Headers;

namespace LocalBatch.Server.Tests.Support;

/// <summary>Keeps every answer an <see cref="HttpClient"/> gets, whole: its status line, every header and the body.</summary>
internal sealed class RecordingHandler() : DelegatingHandler(new SocketsHttpHandler())
{
    private readonly List<(int Status, string Text)> _answers = [];

    /// <summary>Gets every answer so far: its status, and its status line, headers and body as one text.</summary>
    public IReadOnlyList<(int Status, string Text)> Answers
    {
        get
        {
            lock (_answers)
            {
                return [.. _answers];
            }
        }
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        var text = $"{request.Method} {request.RequestUri?.PathAndQuery} -> {(int)response.StatusCode} {response.ReasonPhrase}\n"
            + Headers(response.Headers) + Headers(response.Content.Headers) + "\n" + System.Text.Encoding.UTF8.GetString(body);
        lock (_answers)
        {
            _answers.Add(((int)response.StatusCode, text));
        }

        var buffered = new ByteArrayContent(body);
        foreach (var header in response.Content.Headers)
        {
            buffered.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }

        response.Content = buffered;
        return response;
    }

    private static string Headers(HttpHeaders headers) => string.Concat(headers.Select(header => $"{header.Key}: {string.Join(", ", header.Value)}\n"));
}
