namespace LocalBatch.Server.Dashboard.Internal;

/// <summary>One batch as the dashboard's list shows it.</summary>
/// <param name="Id">The batch id.</param>
/// <param name="InputFileName">The uploaded input file's name, or its id when it has none here.</param>
/// <param name="Endpoint">The batch's endpoint, such as <c>/v1/chat/completions</c>.</param>
/// <param name="Status">Its status, as on the wire (<c>in_progress</c>, …).</param>
/// <param name="Total">Its requests.</param>
/// <param name="Completed">The requests answered successfully.</param>
/// <param name="Failed">The requests that failed.</param>
/// <param name="RequestsPerSecond">Requests finished per second: so far while it runs here, over its run once ended.</param>
/// <param name="EtaSeconds">The estimated seconds left, while it runs here.</param>
/// <param name="Tokens">Prompt and generated tokens of its successful requests.</param>
/// <param name="CreatedAt">When it was created, in Unix seconds.</param>
/// <param name="EndedAt">When it ended, in Unix seconds, or <see langword="null"/>.</param>
/// <param name="Waiting">Why it makes no progress now, for a person, or <see langword="null"/>.</param>
internal sealed record DashboardBatch(
    string Id,
    string InputFileName,
    string Endpoint,
    string Status,
    int Total,
    int Completed,
    int Failed,
    double? RequestsPerSecond,
    double? EtaSeconds,
    long Tokens,
    long CreatedAt,
    long? EndedAt,
    string? Waiting);
