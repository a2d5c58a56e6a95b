namespace LocalBatch.Gateway.Internal;

/// <summary>
/// The slot a prefix-affinity lane keeps on a llama-server (<c>id_slot</c>): the lane's requests, one after another,
/// run on the slot whose prompt cache holds their shared prefix, instead of the slot llama-server would pick. A slot
/// is kept by one lane at a time, and only while nobody else is seen on the server (see
/// <see cref="EndpointPool"/>'s <c>PinFor</c>): a request pinned to a busy slot waits for it in llama-server's queue.
/// The lane enters its pin once, on its own flow, as it enters its <see cref="TurnGroup"/>; it ends it when it ends.
/// </summary>
internal sealed class SlotPin
{
    private static readonly AsyncLocal<SlotPin?> s_current = new();
    private volatile bool _ended;

    /// <summary>Gets the pin of the lane running on this flow, or <see langword="null"/> outside a prefix-affinity lane.</summary>
    public static SlotPin? Current => s_current.Value;

    /// <summary>Gets or sets the server whose slot the lane keeps, or <see langword="null"/> for none (pool lock).</summary>
    public ServerEndpoint? Server { get; set; }

    /// <summary>Gets or sets the slot the lane keeps on <see cref="Server"/>; negative for none (pool lock).</summary>
    public int Slot { get; set; } = -1;

    /// <summary>Gets a value indicating whether the lane ended: its slot is free for another lane.</summary>
    public bool IsEnded => _ended;

    /// <summary>Makes <paramref name="pin"/> the pin of what runs on this flow from now on (a lane calls it once as it starts).</summary>
    public static void Enter(SlotPin pin) => s_current.Value = pin;

    /// <summary>Gives the slot up: the lane has no more requests.</summary>
    public void End() => _ended = true;
}
