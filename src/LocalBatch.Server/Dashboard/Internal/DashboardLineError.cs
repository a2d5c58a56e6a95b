namespace LocalBatch.Server.Dashboard.Internal;

/// <summary>A failed line of a batch, as its page lists it.</summary>
/// <param name="CustomId">The input line's <c>custom_id</c>.</param>
/// <param name="Cause">What it failed on in a few words, such as <c>400 invalid_request_error</c>.</param>
/// <param name="Message">The server's message, or why the line got no answer.</param>
internal sealed record DashboardLineError(string CustomId, string? Cause, string? Message);
