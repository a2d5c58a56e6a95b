using System.Collections.Concurrent;

namespace LocalBatch.Gateway.Internal;

/// <summary>"POST /v1/completions" for the retry log line, built once a method and path rather than once a request.</summary>
internal static class OperationNames
{
    private static readonly ConcurrentDictionary<(string Method, string Path), string> s_names = new();

    public static string Of(HttpMethod method, string path) =>
        s_names.GetOrAdd((method.Method, path), static key => $"{key.Method} {key.Path}");
}
