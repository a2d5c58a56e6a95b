using Microsoft.Extensions.Logging;

namespace LocalBatch.Server.Internal;

/// <summary>Every log line the server writes. Keys never; request bodies never.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Error, Message = "{Method} {Path} failed on an unexpected error; the client got a 500")]
    public static partial void UnexpectedError(ILogger logger, string method, string path, Exception exception);

    [LoggerMessage(EventId = 101, Level = LogLevel.Warning, Message = "Proxying {Method} {Path} to the gateway failed ({Error}): {Cause}")]
    public static partial void ProxyFailed(ILogger logger, string method, string path, string error, string? cause);

    [LoggerMessage(EventId = 102, Level = LogLevel.Warning, Message = "The stored object of file {FileId} cannot be read; the file is skipped")]
    public static partial void FileObjectUnreadable(ILogger logger, string fileId, Exception exception);

    [LoggerMessage(EventId = 103, Level = LogLevel.Error, Message = "{Method} {Path} failed: the store is full; the client got a 507")]
    public static partial void StoreFull(ILogger logger, string method, string path, Exception exception);

    [LoggerMessage(EventId = 110, Level = LogLevel.Information, Message = "Resumed batch {BatchId} ({Done} of {Total} requests done)")]
    public static partial void BatchResumed(ILogger logger, string batchId, int done, int total);

    [LoggerMessage(EventId = 111, Level = LogLevel.Warning, Message = "Batch {BatchId} stopped: the gateway at {Gateway} is unreachable ({Reason}); it resumes when the gateway is back")]
    public static partial void BatchWaitingForGateway(ILogger logger, string batchId, string gateway, string reason);

    [LoggerMessage(EventId = 112, Level = LogLevel.Information, Message = "The gateway is back; resuming batch {BatchId}")]
    public static partial void GatewayBack(ILogger logger, string batchId);

    [LoggerMessage(EventId = 113, Level = LogLevel.Error, Message = "Batch {BatchId} stopped on a file error; trying again in {Pause}")]
    public static partial void BatchRunFileError(ILogger logger, string batchId, TimeSpan pause, Exception exception);

    [LoggerMessage(EventId = 114, Level = LogLevel.Error, Message = "Watching batch {BatchId} failed; it resumes at the next start")]
    public static partial void BatchWatchFailed(ILogger logger, string batchId, Exception exception);

    [LoggerMessage(EventId = 115, Level = LogLevel.Error, Message = "Batch {BatchId} stopped: the gateway at {Gateway} refused this server's gateway key ({StatusCode}); set the gateway's key (LocalBatchServerOptions.GatewayApiKey; for localbatch serve, --gateway-api-key or LOCALBATCH_API_KEY). Trying again in {Pause}")]
    public static partial void GatewayRefusedKey(ILogger logger, string batchId, string gateway, int statusCode, TimeSpan pause);

    [LoggerMessage(EventId = 120, Level = LogLevel.Information, Message = "Retention: removed batch {BatchId}, ended {Age} ago, with its files")]
    public static partial void RetentionRemovedBatch(ILogger logger, string batchId, TimeSpan age);

    [LoggerMessage(EventId = 121, Level = LogLevel.Information, Message = "Retention: removed file {FileId}, uploaded {Age} ago")]
    public static partial void RetentionRemovedFile(ILogger logger, string fileId, TimeSpan age);

    [LoggerMessage(EventId = 122, Level = LogLevel.Warning, Message = "Retention: could not remove {Id}; it is tried again at the next sweep")]
    public static partial void RetentionFailed(ILogger logger, string id, Exception exception);

    [LoggerMessage(EventId = 130, Level = LogLevel.Information, Message = "Keys reloaded from {Path}: {Count} keys")]
    public static partial void KeysReloaded(ILogger logger, string path, int count);

    [LoggerMessage(EventId = 131, Level = LogLevel.Error, Message = "The keys file {Path} changed but cannot be read ({Reason}); the keys loaded before stay in force")]
    public static partial void KeysFileUnreadable(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 123, Level = LogLevel.Information, Message = "Removed the partial upload {Path}, left by a process that stopped mid-upload")]
    public static partial void AbandonedUploadRemoved(ILogger logger, string path);
}
