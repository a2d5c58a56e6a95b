namespace LocalBatch.Testing.Internal;

/// <summary>
/// The slots of the simulated gateway and the queue of requests waiting for one, like llama-server's task queue:
/// a request takes an idle slot at once (the one it names with <c>id_slot</c>, or the one
/// <see cref="SlotPromptCache.Select"/> chooses), or waits, first come first served; a slot that frees goes to the
/// first request waiting for that very slot, else to the first waiting for any slot.
/// </summary>
internal sealed class SlotScheduler
{
    private readonly Lock _lock = new();
    private readonly bool[] _busy;
    private readonly SlotPromptCache _cache;
    private readonly LinkedList<Waiter> _waiters = new();
    private readonly long?[] _tasks;
    private readonly bool[] _timingsPerToken;
    private long _lastTask;

    public SlotScheduler(int slots)
    {
        _busy = new bool[slots];
        _tasks = new long?[slots];
        _timingsPerToken = new bool[slots];
        _cache = new SlotPromptCache(slots);
    }

    /// <summary>Waits for a slot, takes it and runs the claim's prompts on it.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled while waiting.</exception>
    public async ValueTask<SlotGrant> AcquireAsync(SlotClaim claim, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Waiter waiter;
        lock (_lock)
        {
            var slot = FindIdle(claim);
            if (slot >= 0)
            {
                return Take(slot, claim);
            }

            waiter = new Waiter(claim, Pinned(claim));
            waiter.Node = _waiters.AddLast(waiter);
        }

        using var registration = cancellationToken.UnsafeRegister(
            static (state, token) =>
            {
                var (self, w) = ((SlotScheduler, Waiter))state!;
                self.Cancel(w, token);
            },
            (this, waiter));
        return await waiter.Completion.Task.ConfigureAwait(false);
    }

    /// <summary>Frees a slot and gives it to the first request waiting for it, if any.</summary>
    public void Release(int slot)
    {
        lock (_lock)
        {
            _busy[slot] = false;
            _cache.Released(slot);

            LinkedListNode<Waiter>? next = null;
            for (var node = _waiters.First; node is not null; node = node.Next)
            {
                if (node.Value.Slot == slot)
                {
                    next = node;
                    break;
                }

                if (node.Value.Slot < 0)
                {
                    next ??= node;
                }
            }

            if (next is null)
            {
                return;
            }

            var waiter = next.Value;
            _waiters.Remove(next);
            waiter.Node = null;
            var chosen = waiter.Slot >= 0 ? waiter.Slot : _cache.Select(_busy, waiter.Claim);
            waiter.Completion.TrySetResult(Take(chosen, waiter.Claim));
        }
    }

    private int Pinned(SlotClaim claim) => claim.PinnedSlot >= 0 ? claim.PinnedSlot % _busy.Length : -1;

    private int FindIdle(SlotClaim claim)
    {
        var pinned = Pinned(claim);
        if (pinned >= 0)
        {
            return _busy[pinned] ? -1 : pinned;
        }

        // Requests wait for any slot only while every slot is busy (a slot that frees goes to one of them at
        // once), so a new request never overtakes them.
        return _cache.Select(_busy, claim);
    }

    /// <summary>Gets how many slots are busy now (a decode step's batch).</summary>
    public int Busy
    {
        get
        {
            lock (_lock)
            {
                return _busy.Count(static busy => busy);
            }
        }
    }

    /// <summary>
    /// What <c>/slots</c> and <c>/metrics</c> show: each slot's state, its current or last task and that task's
    /// <c>timings_per_token</c>, and the requests waiting.
    /// </summary>
    public SlotsSnapshot Snapshot()
    {
        lock (_lock)
        {
            return new SlotsSnapshot([.. _busy], [.. _tasks], [.. _timingsPerToken], _waiters.Count);
        }
    }

    private SlotGrant Take(int slot, SlotClaim claim)
    {
        _busy[slot] = true;
        _tasks[slot] = ++_lastTask;
        _timingsPerToken[slot] = claim.TimingsPerToken;
        return new SlotGrant(slot, _cache.Launch(slot, _busy, claim));
    }

    private void Cancel(Waiter waiter, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (waiter.Node is null)
            {
                // Already given a slot: the request goes on and gives it back when it notices the cancellation.
                return;
            }

            _waiters.Remove(waiter.Node);
            waiter.Node = null;
        }

        waiter.Completion.TrySetCanceled(cancellationToken);
    }

    private sealed class Waiter(SlotClaim claim, int slot)
    {
        public SlotClaim Claim { get; } = claim;

        /// <summary>Gets the slot waited for; negative for any.</summary>
        public int Slot { get; } = slot;

        public TaskCompletionSource<SlotGrant> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public LinkedListNode<Waiter>? Node { get; set; }
    }
}
