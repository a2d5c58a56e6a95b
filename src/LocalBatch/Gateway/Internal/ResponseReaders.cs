using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace LocalBatch.Gateway.Internal;

/// <summary>How a 2xx answer's body is read: as one JSON type, or raw (a Batch API line's answer).</summary>
internal static class ResponseReaders
{
    /// <summary>The reader of a JSON answer of one type; built once a type (it is a closure over the type's metadata).</summary>
    public static Func<HttpResponseMessage, string, CancellationToken, Task<T>> Json<T>(JsonTypeInfo<T> typeInfo) =>
        JsonReaders<T>.For(typeInfo);

    /// <summary>Reads any JSON answer as it is, with its status and request id.</summary>
    public static async Task<GatewayResponse> RawAsync(HttpResponseMessage response, string path, CancellationToken cancellationToken)
    {
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var body = await JsonSerializer.DeserializeAsync(stream, LocalBatchJsonContext.Default.JsonElement, cancellationToken).ConfigureAwait(false);
            return new GatewayResponse((int)response.StatusCode, body, LocalGatewayException.ReadRequestId(response));
        }
    }

    private static Func<HttpResponseMessage, string, CancellationToken, Task<T>> Create<T>(JsonTypeInfo<T> typeInfo) =>
        async (response, path, cancellationToken) =>
        {
            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                return await JsonSerializer.DeserializeAsync(stream, typeInfo, cancellationToken).ConfigureAwait(false)
                    ?? throw LocalGatewayException.InvalidResponse(path, (int)response.StatusCode, cause: null);
            }
        };

    /// <summary>The reader of JSON answers of one type, for the type metadata it was last asked with (the library's, always).</summary>
    private static class JsonReaders<T>
    {
        private static Cached? s_cached;

        public static Func<HttpResponseMessage, string, CancellationToken, Task<T>> For(JsonTypeInfo<T> typeInfo)
        {
            if (s_cached is { } cached && ReferenceEquals(cached.TypeInfo, typeInfo))
            {
                return cached.Reader;
            }

            var reader = Create(typeInfo);
            s_cached = new Cached(typeInfo, reader);
            return reader;
        }

        private sealed record Cached(JsonTypeInfo<T> TypeInfo, Func<HttpResponseMessage, string, CancellationToken, Task<T>> Reader);
    }
}
