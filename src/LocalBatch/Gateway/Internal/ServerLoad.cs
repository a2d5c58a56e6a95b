namespace LocalBatch.Gateway.Internal;

/// <summary>What a server says it runs now: from its <c>/slots</c>, or from its <c>/metrics</c>.</summary>
/// <param name="Busy">The requests it runs or holds in its queue, those carrying this client's mark (<see cref="OwnRequestMark"/>) left out.</param>
/// <param name="TaskIds">
/// Each slot's current or last task (<c>/slots</c>' <c>id_task</c>), by slot, <see langword="null"/> for a task that
/// carried the mark; <see langword="null"/> from <c>/metrics</c>.
/// </param>
/// <param name="ShowsMarks">Whether the slots show each task's <c>timings_per_token</c>, so that this client's batch requests may carry the mark.</param>
internal sealed record ServerLoad(int Busy, IReadOnlyList<long?>? TaskIds, bool ShowsMarks = false);
