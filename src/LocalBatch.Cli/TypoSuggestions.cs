using System.CommandLine;
using System.CommandLine.Parsing;

namespace LocalBatch.Cli;

/// <summary>
/// "Did you mean …?" for the words of a command line that matched nothing: a mistyped option is compared with the
/// options the command takes (its own and those it inherits, with their aliases), a mistyped word with its subcommands.
/// The closest wins when it is at most two edits away (a swapped pair of letters is two), or when the word is the start
/// of exactly one of them.
/// </summary>
internal static class TypoSuggestions
{
    private const int MaxEdits = 2;
    private const int MinLength = 3;

    /// <summary>One hint a word that matched nothing and resembles something, such as <c>'--ouptut': did you mean '--output'?</c>.</summary>
    public static IEnumerable<string> For(ParseResult parsed)
    {
        var command = parsed.CommandResult;
        foreach (var token in parsed.UnmatchedTokens.Distinct(StringComparer.Ordinal))
        {
            var candidates = token.StartsWith('-') ? OptionNames(command) : command.Command.Subcommands.Where(static c => !c.Hidden).SelectMany(NamesOf);
            if (Closest(token, candidates) is { Count: > 0 } matches)
            {
                yield return $"'{token}': did you mean {string.Join(" or ", matches.Select(static m => $"'{m}'"))}?";
            }
        }
    }

    /// <summary>The names that come closest to <paramref name="word"/>: one, or those tied; none when nothing is close.</summary>
    internal static IReadOnlyList<string> Closest(string word, IEnumerable<string> names)
    {
        if (word.TrimStart('-').Length < MinLength)
        {
            return [];
        }

        var scored = names.Distinct(StringComparer.Ordinal)
            .Select(name => (Name: name, Edits: Distance(word, name)))
            .Where(candidate => candidate.Edits <= MaxEdits && candidate.Edits < candidate.Name.Length / 2)
            .ToList();
        if (scored.Count > 0)
        {
            var best = scored.Min(static candidate => candidate.Edits);
            return [.. scored.Where(candidate => candidate.Edits == best).Select(static candidate => candidate.Name).Take(3)];
        }

        // A word cut short (--retry for --retry-failed), when it starts only one name.
        var started = names.Distinct(StringComparer.Ordinal).Where(name => name.StartsWith(word, StringComparison.OrdinalIgnoreCase)).Take(2).ToList();
        return started.Count == 1 ? started : [];
    }

    /// <summary>The edits (insertions, deletions, substitutions) that turn one word into the other, ignoring case.</summary>
    internal static int Distance(string first, string second)
    {
        var previous = new int[second.Length + 1];
        var current = new int[second.Length + 1];
        for (var j = 0; j <= second.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= first.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= second.Length; j++)
            {
                var substitution = previous[j - 1] + (char.ToLowerInvariant(first[i - 1]) == char.ToLowerInvariant(second[j - 1]) ? 0 : 1);
                current[j] = Math.Min(Math.Min(previous[j] + 1, current[j - 1] + 1), substitution);
            }

            (previous, current) = (current, previous);
        }

        return previous[second.Length];
    }

    private static IEnumerable<string> OptionNames(CommandResult command)
    {
        for (SymbolResult? result = command; result is CommandResult current; result = current.Parent)
        {
            foreach (var option in current.Command.Options.Where(o => !o.Hidden && (ReferenceEquals(current, command) || o.Recursive)))
            {
                foreach (var name in NamesOf(option))
                {
                    yield return name;
                }
            }
        }
    }

    private static IEnumerable<string> NamesOf(Symbol symbol) => symbol switch
    {
        Option option => [option.Name, .. option.Aliases],
        Command command => [command.Name, .. command.Aliases],
        _ => [symbol.Name],
    };
}
