using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace LocalBatch.Server.Internal;

/// <summary>Reads query parameters, answering a bad one with a 400 that names it (not ASP.NET's own problem details).</summary>
internal static class QueryValues
{
    /// <summary>The parameter's single value, or <see langword="null"/> when it is absent or empty.</summary>
    public static string? String(IQueryCollection query, string name)
    {
        var values = query[name];
        if (values.Count > 1)
        {
            throw ApiError.BadRequest($"The query parameter '{name}' is given more than once.", name).ToException();
        }

        return string.IsNullOrEmpty(values.ToString()) ? null : values.ToString();
    }

    /// <exception cref="ApiErrorException">The value is not a whole number from <paramref name="min"/> to <paramref name="max"/>.</exception>
    public static int Int(IQueryCollection query, string name, int defaultValue, int min, int max)
    {
        if (String(query, name) is not { } text)
        {
            return defaultValue;
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw ApiError.BadRequest(string.Create(CultureInfo.InvariantCulture, $"'{name}' must be a whole number from {min} to {max}; got '{text}'."), name, "invalid_value").ToException();
    }
}
