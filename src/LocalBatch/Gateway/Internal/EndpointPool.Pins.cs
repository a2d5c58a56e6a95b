namespace LocalBatch.Gateway.Internal;

// Slots that prefix-affinity lanes keep on a llama-server (id_slot), given out at the admission point.
internal sealed partial class EndpointPool
{
    /// <summary>
    /// The slot a request of the lane that keeps <paramref name="pin"/> is pinned to on <paramref name="server"/>, or -1
    /// for none (pool lock held): the lane's slot there while it keeps it, else a slot no other running lane keeps (the
    /// lane's slot on another server is given up). Only with <see cref="LocalBatchOptions.UseSlotPinning"/>, on a llama-server whose slots are known from its
    /// <c>/props</c>, and only while nobody else is seen there: a pinned request waits for its slot even when another is
    /// free, so pinning must never take a slot someone else needs.
    /// </summary>
    private int PinFor(ServerState server, SlotPin pin)
    {
        if (!_options.UseSlotPinning || !server.CanPin)
        {
            return -1;
        }

        if (pin.Server == server.Endpoint && server.Keeps(pin))
        {
            return pin.Slot;
        }

        var slot = server.FreeSlotToKeep();
        if (slot < 0)
        {
            return -1;
        }

        if (pin.Server is { } other)
        {
            _servers[other.Index].GiveUp(pin);
        }

        server.Keep(pin, slot);
        return slot;
    }

    private sealed partial class ServerState
    {
        private SlotPin?[]? _kept;

        /// <summary>
        /// Gets a value indicating whether a lane may keep one of its slots now: a llama-server whose slots are known
        /// (<c>/props</c>), with no interactive request seen and no slot reserved. A slot left free to look does not stop
        /// it: requests sent unpinned meanwhile would take the slots lanes keep (measured: 0.80 of the server's choice).
        /// </summary>
        public bool CanPin => Source == CapacitySource.Props && Interactive == 0 && Reserved == 0;

        /// <summary>Whether <paramref name="pin"/> keeps one of its slots.</summary>
        public bool Keeps(SlotPin pin) => _kept is { } kept && pin.Slot >= 0 && pin.Slot < kept.Length && kept[pin.Slot] == pin;

        /// <summary>A slot no running lane keeps, the lowest; -1 when every slot is kept.</summary>
        public int FreeSlotToKeep()
        {
            if (_kept is null || _kept.Length != Ceiling)
            {
                Array.Resize(ref _kept, Ceiling);
            }

            for (var slot = 0; slot < _kept.Length; slot++)
            {
                if (_kept[slot] is null or { IsEnded: true })
                {
                    return slot;
                }
            }

            return -1;
        }

        /// <summary>Gives <paramref name="slot"/> to the lane of <paramref name="pin"/>.</summary>
        public void Keep(SlotPin pin, int slot)
        {
            _kept![slot] = pin;
            pin.Server = Endpoint;
            pin.Slot = slot;
        }

        /// <summary>Takes the slot <paramref name="pin"/> keeps here back, if it keeps one.</summary>
        public void GiveUp(SlotPin pin)
        {
            if (Keeps(pin))
            {
                _kept![pin.Slot] = null;
            }

            pin.Server = null;
            pin.Slot = -1;
        }
    }
}
