using LocalBatch.Gateway.Internal;

namespace LocalBatch.Tests.Support;

/// <summary>A llama-server of 4 slots (its <c>/props</c>) whose load is what the test says (<see langword="null"/>: neither /slots nor /metrics).</summary>
internal sealed class LoadProbe : IServerProbe
{
    public ServerLoad? Load { get; set; } = new(0, [null, null, null, null]);

    public List<LoadSource> Asked { get; } = [];

    public Task<GatewayProps?> ReadPropsAsync(ServerEndpoint server, CancellationToken cancellationToken) =>
        Task.FromResult<GatewayProps?>(new GatewayProps { TotalSlots = 4 });

    public Task<bool> IsReadyAsync(ServerEndpoint server, CancellationToken cancellationToken) => Task.FromResult(true);

    public Task<ServerLoad?> ReadLoadAsync(ServerEndpoint server, LoadSource source, CancellationToken cancellationToken)
    {
        lock (Asked)
        {
            Asked.Add(source);
        }

        return Task.FromResult(Load);
    }
}
