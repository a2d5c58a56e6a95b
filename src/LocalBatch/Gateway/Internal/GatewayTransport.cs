using System.Net.Http.Headers;
using System.Text.Json;

namespace LocalBatch.Gateway.Internal;

/// <summary>
/// One HTTP exchange with one server: the request with the client's key, and its answer read or turned into a
/// <see cref="LocalGatewayException"/>. No retries, no slots, no timeout of its own: those are the client's and the
/// pool's. The client's attempts and the pool's probes both go through it.
/// </summary>
internal sealed class GatewayTransport(HttpClient http, AuthenticationHeaderValue? authorization, TimeProvider time)
{
    private static readonly MediaTypeHeaderValue JsonMediaType = new("application/json") { CharSet = "utf-8" };

    /// <summary>Sends one request to <paramref name="server"/> and reads its 2xx answer.</summary>
    /// <exception cref="LocalGatewayException">An error status, no connection, or an answer that could not be read.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<T> SendOnceAsync<T>(
        ServerEndpoint server,
        HttpMethod method,
        string path,
        byte[]? content,
        Func<HttpResponseMessage, string, CancellationToken, Task<T>> read,
        CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, server.UriOf(path));
        request.Headers.Authorization = authorization;
        if (content is not null)
        {
            request.Content = new ByteArrayContent(content);
            request.Content.Headers.ContentType = JsonMediaType;
        }

        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw LocalGatewayException.Unreachable(path, server.BaseAddress, ex);
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                throw await LocalGatewayException.FromResponseAsync(response, path, time, cancellationToken).ConfigureAwait(false);
            }

            try
            {
                return await read(response, path, cancellationToken).ConfigureAwait(false);
            }
            catch (JsonException ex)
            {
                throw LocalGatewayException.InvalidResponse(path, (int)response.StatusCode, ex);
            }
            catch (Exception ex) when (ex is IOException or HttpRequestException && !cancellationToken.IsCancellationRequested)
            {
                // The connection broke while the body was read: a dying server.
                throw LocalGatewayException.Unreachable(path, server.BaseAddress, ex);
            }
        }
    }

    /// <summary>Asks one server's <c>/health</c> once (it needs no key): its status and what its body says.</summary>
    /// <exception cref="LocalGatewayException">The server could not be reached.</exception>
    public async Task<GatewayHealth> GetHealthAsync(ServerEndpoint server, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, server.UriOf("/health"));
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            return new GatewayHealth((int)response.StatusCode, ReadHealthStatus(body));
        }
        catch (HttpRequestException ex)
        {
            throw LocalGatewayException.Unreachable("/health", server.BaseAddress, ex);
        }
    }

    private static string? ReadHealthStatus(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            return root.TryGetProperty("status", out var status) && status.ValueKind == JsonValueKind.String
                ? status.GetString()
                : LocalGatewayException.ReadErrorBody(root).Message;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
