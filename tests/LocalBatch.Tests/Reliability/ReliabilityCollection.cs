namespace LocalBatch.Tests.Reliability;

/// <summary>
/// The heavy reliability tests (the fault soak, the crash loops): run one at a time, after the other tests, so that
/// their load neither slows the timing-sensitive tests nor is slowed by them.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ReliabilityCollection
{
    public const string Name = "Reliability";
}
