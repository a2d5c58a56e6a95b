namespace LocalBatch.Server.Tests.Reliability;

/// <summary>
/// The heavy reliability tests of the server (the crash loops of <c>serve</c> as a child process): run one at a time,
/// after the other tests, so that their load neither slows the timing-sensitive tests nor is slowed by them.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ReliabilityCollection
{
    public const string Name = "Reliability";
}
