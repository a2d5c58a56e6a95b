using System.Text;
using System.Text.Json;
using LocalBatch.Gateway.Internal;

namespace LocalBatch.Tests.Gateway;

/// <summary>
/// The fields put at the front of a batch request's body (the mark, <c>timings_per_token</c>, a no-op in an answer that
/// is not streamed, and a lane's <c>id_slot</c>), and how <c>/slots</c> is read with the mark: marked slots are this
/// client's, unmarked ones are counted.
/// </summary>
public sealed class OwnRequestMarkTests
{
    [Theory]
    [InlineData("/v1/chat/completions", """{"messages":[{"role":"user","content":"hi"}],"max_tokens":4}""")]
    [InlineData("/v1/completions", """{ "prompt": "hi", "stream": false }""")]
    [InlineData("/v1/responses", """{"input":"hi","stream":null}""")]
    [InlineData("/completion", "{}")]
    public void With_ABodyThatCanCarryBoth_KeepsEveryPropertyAndAddsTheMarkAndTheSlot(string path, string body)
    {
        var placed = PlacedBody.Read(path, Encoding.UTF8.GetBytes(body));

        Assert.NotNull(placed);
        Assert.True(placed.CanMark && placed.CanPin);
        using var original = JsonDocument.Parse(body);
        foreach (var (mark, slot) in new[] { (true, 2), (true, -1), (false, 0) })
        {
            using var document = JsonDocument.Parse(placed.With(mark, slot));
            var root = document.RootElement;
            Assert.Equal(mark, root.TryGetProperty("timings_per_token", out var field) && field.GetBoolean());
            Assert.Equal(slot, root.TryGetProperty("id_slot", out var id) ? id.GetInt32() : -1);
            var kept = root.EnumerateObject().Where(static p => p.Name is not ("timings_per_token" or "id_slot")).Select(static p => p.ToString());
            Assert.Equal(original.RootElement.EnumerateObject().Select(static p => p.ToString()), kept);
        }
    }

    [Fact]
    public void With_Neither_IsTheBodyItself()
    {
        var body = Encoding.UTF8.GetBytes("""{"prompt":"hi"}""");

        Assert.Same(body, PlacedBody.Read("/v1/completions", body)!.With(mark: false, slot: -1));
    }

    [Theory]
    [InlineData("/v1/chat/completions", """{"messages":[],"stream":true}""", false, true)]
    [InlineData("/v1/chat/completions", """{"messages":[],"timings_per_token":false}""", false, true)]
    [InlineData("/v1/completions", """{"prompt":"hi","id_slot":1}""", true, false)]
    public void Read_ABodyThatSetsAFieldItself_IsNotGivenIt(string path, string body, bool canMark, bool canPin)
    {
        var placed = PlacedBody.Read(path, Encoding.UTF8.GetBytes(body));

        Assert.Equal((canMark, canPin), (placed!.CanMark, placed.CanPin));
    }

    [Theory]
    [InlineData("/v1/embeddings", """{"input":"hi"}""")]
    [InlineData("/v1/messages", """{"messages":[],"max_tokens":4}""")]
    [InlineData("/v1/completions", """["not","an","object"]""")]
    [InlineData("/v1/completions", """{"prompt":"cut""")]
    public void Read_ARouteOrBodyThatTakesNeither_IsNothing(string path, string body) =>
        Assert.Null(PlacedBody.Read(path, Encoding.UTF8.GetBytes(body)));

    [Fact]
    public void FromSlots_MarkedSlots_AreNeitherBusyNorTasks_AndTheFieldShownIsNoticed()
    {
        using var slots = JsonDocument.Parse("""
            [
              {"id":0,"is_processing":true,"id_task":10,"params":{"timings_per_token":true}},
              {"id":1,"is_processing":true,"id_task":11,"params":{"timings_per_token":false}},
              {"id":2,"is_processing":false,"id_task":7,"params":{"timings_per_token":false}},
              {"id":3,"is_processing":false}
            ]
            """);

        var load = ServerLoadReader.FromSlots(slots.RootElement);

        Assert.Equal(1, load.Busy);
        Assert.Equal([null, 11, 7, null], load.TaskIds!);
        Assert.True(load.ShowsMarks);
    }

    [Fact]
    public void FromSlots_AServerThatShowsNoParams_ShowsNoMarks()
    {
        using var slots = JsonDocument.Parse("""[{"id":0,"is_processing":true,"id_task":3},{"id":1,"is_processing":false}]""");

        var load = ServerLoadReader.FromSlots(slots.RootElement);

        Assert.Equal((1, false), (load.Busy, load.ShowsMarks));
        Assert.Equal([3, null], load.TaskIds!);
    }
}
