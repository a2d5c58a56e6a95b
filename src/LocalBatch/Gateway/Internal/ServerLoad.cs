namespace LocalBatch.Gateway.Internal;

/// <summary>What a server says it runs now: from its <c>/slots</c>, or from its <c>/metrics</c>.</summary>
/// <param name="Busy">The requests it runs or holds in its queue.</param>
/// <param name="TaskIds">Each slot's current or last task (<c>/slots</c>' <c>id_task</c>), by slot; <see langword="null"/> from <c>/metrics</c>.</param>
internal sealed record ServerLoad(int Busy, IReadOnlyList<long?>? TaskIds);
