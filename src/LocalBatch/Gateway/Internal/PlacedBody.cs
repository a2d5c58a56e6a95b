using System.Globalization;
using System.Text;
using System.Text.Json;

namespace LocalBatch.Gateway.Internal;

/// <summary>
/// A generation request's JSON body and the fields the pool may put at its front for one attempt: this client's mark
/// (<see cref="OwnRequestMark"/>) and the slot a prefix-affinity lane keeps (<c>id_slot</c>, see <see cref="SlotPin"/>).
/// Read once per call; the body itself is never changed.
/// </summary>
internal sealed class PlacedBody
{
    private readonly byte[] _body;
    private readonly int _properties;

    private PlacedBody(byte[] body, int properties, bool canMark, bool canPin)
    {
        _body = body;
        _properties = properties;
        CanMark = canMark;
        CanPin = canPin;
    }

    /// <summary>Gets a value indicating whether the request may carry the mark: not streamed, and not setting the field itself.</summary>
    public bool CanMark { get; }

    /// <summary>Gets a value indicating whether the request may be pinned to a slot: it names none itself.</summary>
    public bool CanPin { get; }

    /// <summary>
    /// Reads a body sent to <paramref name="path"/>; <see langword="null"/> for a route that takes neither field (llama-server
    /// keeps them for chat completions, completions and responses, measured) or a body that is not a JSON object.
    /// </summary>
    public static PlacedBody? Read(string path, byte[] body)
    {
        if (path is not ("/v1/chat/completions" or "/v1/completions" or "/v1/responses" or "/chat/completions" or "/completions" or "/completion" or "/responses"))
        {
            return null;
        }

        var reader = new Utf8JsonReader(body);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            var (properties, canMark, canPin) = (0, true, true);
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                properties++;
                var isMark = reader.ValueTextEquals(OwnRequestMark.Property);
                var isStream = reader.ValueTextEquals("stream"u8);
                canPin &= !reader.ValueTextEquals("id_slot"u8);
                reader.Read();
                canMark &= !isMark && !(isStream && reader.TokenType is not (JsonTokenType.False or JsonTokenType.Null));
                reader.Skip();
            }

            return new PlacedBody(body, properties, canMark, canPin);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The body with the mark (when <paramref name="mark"/>) and <c>id_slot</c> (when <paramref name="slot"/> is not negative) first.</summary>
    public byte[] With(bool mark, int slot)
    {
        if (!mark && slot < 0)
        {
            return _body;
        }

        var fields = new StringBuilder("{");
        if (mark)
        {
            fields.Append('"').Append(OwnRequestMark.Property).Append("\":true");
        }

        if (slot >= 0)
        {
            fields.Append(mark ? "," : string.Empty).Append("\"id_slot\":").Append(slot.ToString(CultureInfo.InvariantCulture));
        }

        if (_properties > 0)
        {
            fields.Append(',');
        }

        var front = Encoding.UTF8.GetBytes(fields.ToString());
        var rest = _body.AsSpan(_body.AsSpan().IndexOf((byte)'{') + 1);
        var placed = new byte[front.Length + rest.Length];
        front.CopyTo(placed, 0);
        rest.CopyTo(placed.AsSpan(front.Length));
        return placed;
    }
}
