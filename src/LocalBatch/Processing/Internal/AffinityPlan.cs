namespace LocalBatch.Processing.Internal;

/// <summary>
/// Which requests run one after another on one lane. Requests that share a prompt prefix (the same key) sent at once
/// land on different slots, and each slot processes the shared part again; one after another on one lane, the slot
/// that just processed it reuses it from its cache.
/// </summary>
internal static class AffinityPlan
{
    /// <summary>
    /// Groups the items by key into runs for <paramref name="lanes"/> lanes: the items of a key form one run (split into
    /// runs of at most <c>count / lanes</c> items, rounded up, so that no run outlasts a lane's fair share), an item
    /// without a key (0) a run of its own. Runs come biggest first (longest first, which keeps the lanes evenly loaded
    /// when each lane takes the next run as it frees), items in input order within a run.
    /// </summary>
    /// <param name="keys">Each item's key, 0 for none.</param>
    /// <param name="lanes">The lanes the runs share.</param>
    /// <param name="totalItems">
    /// How many items the lanes share in all, when more than <paramref name="keys"/> holds (items without a key the
    /// caller runs after these runs): a lane's fair share is counted from it. <see langword="null"/>: the keys' count.
    /// </param>
    /// <returns>The runs of item positions, or <see langword="null"/> when no two items share a key: input order is as good.</returns>
    public static int[][]? Plan(IReadOnlyList<ulong> keys, int lanes, int? totalItems = null)
    {
        var groups = new Dictionary<ulong, List<int>>();
        var shared = false;
        for (var i = 0; i < keys.Count; i++)
        {
            var key = keys[i];
            if (key == 0)
            {
                continue;
            }

            if (groups.TryGetValue(key, out var group))
            {
                group.Add(i);
                shared = true;
            }
            else
            {
                groups.Add(key, [i]);
            }
        }

        if (!shared)
        {
            return null;
        }

        var count = Math.Max(keys.Count, totalItems ?? 0);
        var maxRun = Math.Max(1, (count + lanes - 1) / Math.Max(1, lanes));
        var runs = new List<int[]>(groups.Count);
        foreach (var group in groups.Values)
        {
            for (var start = 0; start < group.Count; start += maxRun)
            {
                runs.Add([.. group.GetRange(start, Math.Min(maxRun, group.Count - start))]);
            }
        }

        for (var i = 0; i < keys.Count; i++)
        {
            if (keys[i] == 0)
            {
                runs.Add([i]);
            }
        }

        // Biggest first; among equals, the earliest in the input first.
        runs.Sort(static (a, b) => a.Length != b.Length ? b.Length.CompareTo(a.Length) : a[0].CompareTo(b[0]));
        return [.. runs];
    }
}
