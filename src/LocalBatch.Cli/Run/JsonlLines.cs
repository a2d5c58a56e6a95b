using System.Text;
using System.Text.Json;

namespace LocalBatch.Cli.Run;

/// <summary>Reads the whole lines of a result file as bytes (a line cut short at the end is left out), and their <c>custom_id</c>.</summary>
internal static class JsonlLines
{
    private static readonly byte[] CustomIdName = Encoding.UTF8.GetBytes("custom_id");

    /// <summary>Each whole line of the file, without its line end; none when the file does not exist.</summary>
    public static IEnumerable<ReadOnlyMemory<byte>> Read(string path)
    {
        if (!File.Exists(path))
        {
            yield break;
        }

        using var input = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 64 * 1024, FileOptions.SequentialScan);
        var pending = new MemoryStream();
        var buffer = new byte[64 * 1024];
        int read;
        while ((read = input.Read(buffer)) > 0)
        {
            var start = 0;
            int newline;
            while ((newline = Array.IndexOf(buffer, (byte)'\n', start, read - start)) >= 0)
            {
                pending.Write(buffer, start, newline - start);
                yield return pending.ToArray();
                pending.SetLength(0);
                start = newline + 1;
            }

            pending.Write(buffer, start, read - start);
        }
    }

    /// <summary>The top-level <c>custom_id</c> of a result line.</summary>
    /// <exception cref="JsonException">The line is not a result line.</exception>
    public static string CustomIdOf(ReadOnlySpan<byte> line)
    {
        var reader = new Utf8JsonReader(line);
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isCustomId = reader.ValueTextEquals(CustomIdName);
            reader.Read();
            if (isCustomId && reader.TokenType == JsonTokenType.String)
            {
                return reader.GetString()!;
            }

            reader.Skip();
        }

        throw new JsonException("A result line has no custom_id.");
    }
}
