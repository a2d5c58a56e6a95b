using System.Globalization;
using System.Text.RegularExpressions;

namespace LocalBatch.Cli;

/// <summary>The durations flags take: a positive whole number followed by s, m, h, d or w (<c>90s</c>, <c>10m</c>, <c>7d</c>).</summary>
internal static partial class CliDurations
{
    /// <summary>Reads a duration given to <paramref name="flagName"/>.</summary>
    /// <param name="flagName">The flag, for the message.</param>
    /// <param name="value">What was given.</param>
    /// <param name="examples">Examples for the message, such as <c>7d or 12h</c>.</param>
    /// <param name="max">The longest accepted.</param>
    /// <exception cref="CliUsageException">The value is not such a duration, or is longer than <paramref name="max"/>.</exception>
    public static TimeSpan Parse(string flagName, string value, string examples, TimeSpan max)
    {
        var match = DurationPattern().Match(value.Trim());
        if (!match.Success || !long.TryParse(match.Groups["n"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number == 0)
        {
            throw new CliUsageException($"{flagName} must be a positive number followed by s, m, h, d or w, such as {examples}; got '{value}'.");
        }

        var unit = match.Groups["unit"].Value.ToUpperInvariant() switch
        {
            "S" => TimeSpan.FromSeconds(1),
            "M" => TimeSpan.FromMinutes(1),
            "H" => TimeSpan.FromHours(1),
            "D" => TimeSpan.FromDays(1),
            _ => TimeSpan.FromDays(7),
        };
        return number <= max.Ticks / unit.Ticks
            ? TimeSpan.FromTicks(number * unit.Ticks)
            : throw new CliUsageException($"{flagName} is too long: '{value}'{(max < TimeSpan.MaxValue / 4 ? $" (at most {Describe(max)})" : string.Empty)}.");
    }

    /// <summary>A duration as people say it: <c>90 s</c>, <c>10 min</c>, <c>2 h</c>, <c>7 d</c> (the largest whole unit).</summary>
    public static string Describe(TimeSpan duration) =>
        duration.Ticks % TimeSpan.TicksPerDay == 0 ? string.Create(CultureInfo.InvariantCulture, $"{duration.Ticks / TimeSpan.TicksPerDay} d")
        : duration.Ticks % TimeSpan.TicksPerHour == 0 ? string.Create(CultureInfo.InvariantCulture, $"{duration.Ticks / TimeSpan.TicksPerHour} h")
        : duration.Ticks % TimeSpan.TicksPerMinute == 0 ? string.Create(CultureInfo.InvariantCulture, $"{duration.Ticks / TimeSpan.TicksPerMinute} min")
        : string.Create(CultureInfo.InvariantCulture, $"{duration.TotalSeconds:0.###} s");

    [GeneratedRegex("^(?<n>[0-9]{1,18})(?<unit>[smhdw])$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex DurationPattern();
}
