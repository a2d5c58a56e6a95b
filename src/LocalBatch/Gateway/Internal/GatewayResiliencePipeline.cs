using LocalBatch.Internal;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace LocalBatch.Gateway.Internal;

/// <summary>
/// Builds the Polly pipeline a gateway call's retries run in: exponential retry with jitter and <c>Retry-After</c>.
/// Only transient faults are retried (an attempt that timed out is one); there is deliberately no circuit breaker, so
/// that a short outage delays a batch instead of failing hundreds of its items.
/// </summary>
internal static class GatewayResiliencePipeline
{
    /// <summary>The context property holding the request's method and path, for the retry log line.</summary>
    public static readonly ResiliencePropertyKey<string> OperationKey = new("localbatch.operation");

    public static ResiliencePipeline CreateRetry(LocalBatchOptions options, TimeProvider timeProvider, ILogger logger, LocalBatchMetrics metrics)
    {
        var builder = new ResiliencePipelineBuilder { TimeProvider = timeProvider };
        if (options.MaxRetryAttempts > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<LocalGatewayException>(static ex => ex.IsTransient),
                MaxRetryAttempts = options.MaxRetryAttempts,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryBaseDelay,
                MaxDelay = options.MaxRetryDelay,
                DelayGenerator = args =>
                    args.Outcome.Exception is LocalGatewayException { RetryAfter: { } retryAfter }
                        ? ValueTask.FromResult<TimeSpan?>(retryAfter < options.MaxRetryDelay ? retryAfter : options.MaxRetryDelay)
                        : ValueTask.FromResult<TimeSpan?>(null),
                OnRetry = args =>
                {
                    metrics.RecordRetry();
                    var operation = args.Context.Properties.GetValue(OperationKey, "request");
                    var separator = operation.IndexOf(' ', StringComparison.Ordinal);
                    Log.RetryingRequest(
                        logger,
                        options.RetryLogLevel,
                        separator > 0 ? operation[..separator] : operation,
                        separator > 0 ? operation[(separator + 1)..] : string.Empty,
                        args.AttemptNumber + 1,
                        args.RetryDelay.TotalMilliseconds,
                        args.Outcome.Exception?.Message ?? "unknown");
                    return default;
                },
            });
        }

        return builder.Build();
    }
}
