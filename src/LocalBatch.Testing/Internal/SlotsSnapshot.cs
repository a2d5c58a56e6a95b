namespace LocalBatch.Testing.Internal;

/// <summary>The slots as <c>/slots</c> and <c>/metrics</c> show them at one moment.</summary>
/// <param name="Busy">Whether each slot is processing.</param>
/// <param name="Tasks">Each slot's current or last task; <see langword="null"/> before its first.</param>
/// <param name="TimingsPerToken">Each slot's current or last task's <c>timings_per_token</c>.</param>
/// <param name="Waiting">The requests waiting for a slot.</param>
internal sealed record SlotsSnapshot(bool[] Busy, long?[] Tasks, bool[] TimingsPerToken, int Waiting);
