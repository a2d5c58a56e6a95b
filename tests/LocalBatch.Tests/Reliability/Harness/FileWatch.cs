namespace LocalBatch.Tests.Reliability.Harness;

/// <summary>Completes <see cref="Appeared"/> when a file of the given name is created (or written) under a directory.</summary>
internal sealed class FileWatch : IDisposable
{
    private readonly FileSystemWatcher _watcher;
    private readonly TaskCompletionSource _appeared = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public FileWatch(string directory, string fileName, bool subdirectories = false)
    {
        Directory.CreateDirectory(directory);
        _watcher = new FileSystemWatcher(directory, fileName)
        {
            IncludeSubdirectories = subdirectories,
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size,
        };
        _watcher.Created += (_, _) => _appeared.TrySetResult();
        _watcher.Changed += (_, _) => _appeared.TrySetResult();
        _watcher.EnableRaisingEvents = true;
    }

    public Task Appeared => _appeared.Task;

    public void Dispose() => _watcher.Dispose();
}
