using System.Globalization;
using System.Text.RegularExpressions;

namespace LocalBatch.Cli;

/// <summary>The durations flags take (<c>--retention</c>, <c>--older-than</c>): a positive number followed by s, m, h, d or w, such as 7d or 12h.</summary>
internal static partial class Durations
{
    /// <summary>Reads the value of <paramref name="flag"/>.</summary>
    /// <exception cref="CliUsageException">The value is not a number followed by s, m, h, d or w, or is too long.</exception>
    public static TimeSpan Parse(string value, string flag)
    {
        var match = DurationPattern().Match(value.Trim());
        if (!match.Success || !long.TryParse(match.Groups["n"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number == 0)
        {
            throw new CliUsageException($"{flag} must be a positive number followed by s, m, h, d or w, such as 7d or 12h; got '{value}'.");
        }

        var unit = match.Groups["unit"].Value.ToUpperInvariant() switch
        {
            "S" => TimeSpan.FromSeconds(1),
            "M" => TimeSpan.FromMinutes(1),
            "H" => TimeSpan.FromHours(1),
            "D" => TimeSpan.FromDays(1),
            _ => TimeSpan.FromDays(7),
        };
        return number <= TimeSpan.MaxValue.Ticks / unit.Ticks / 2
            ? TimeSpan.FromTicks(number * unit.Ticks)
            : throw new CliUsageException($"{flag} is too long: '{value}'.");
    }

    [GeneratedRegex("^(?<n>[0-9]{1,18})(?<unit>[smhdw])$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex DurationPattern();
}
