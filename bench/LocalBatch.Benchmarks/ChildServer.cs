using System.Diagnostics;

namespace LocalBatch.Benchmarks;

/// <summary>
/// A server a benchmark started in another process (nginx, or this executable's <c>simulate</c>): its endpoint, a
/// line saying what it is, and, on disposal, the process tree killed and its working folder (if any) deleted.
/// </summary>
internal sealed class ChildServer(Process process, Uri endpoint, string description, string? directory = null) : IDisposable
{
    /// <summary>Where it listens (127.0.0.1).</summary>
    public Uri Endpoint { get; } = endpoint;

    /// <summary>What it is, for the report.</summary>
    public string Description { get; } = description;

    /// <summary>Its process (an nginx master's workers are its children).</summary>
    public Process Process { get; } = process;

    /// <summary>Kills the server (its whole process tree) and deletes its working folder.</summary>
    public void Dispose()
    {
        if (!Process.HasExited)
        {
            Process.Kill(entireProcessTree: true);
            Process.WaitForExit();
        }

        Process.Dispose();
        if (directory is not null)
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
