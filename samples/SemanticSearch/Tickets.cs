using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Serialization;

/// <summary>What a support ticket is about.</summary>
internal enum TicketCategory
{
    Billing,
    Shipping,
    Account,
    Bug,
    FeatureRequest,
}

/// <summary>The typed answer asked of the model for each ticket.</summary>
[Description("How a customer support ticket is filed")]
internal sealed record TicketLabel(
    [property: Description("What the ticket is about")] TicketCategory Category,
    [property: Description("The ticket in at most eight words")] string Summary);

/// <summary>Reads and describes <see cref="TicketLabel"/> without reflection.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, UseStringEnumConverter = true)]
[JsonSerializable(typeof(TicketLabel))]
internal sealed partial class TicketJsonContext : JsonSerializerContext;

/// <summary>A made-up support ticket and the category it was written for.</summary>
internal sealed record Ticket(int Id, string Text, TicketCategory Category);

/// <summary>A corpus of made-up support tickets, the same every run.</summary>
internal static class Tickets
{
    private static readonly string[] Products = ["the Pro plan", "the mobile app", "the desktop client", "the team workspace", "the starter kit"];

    private static readonly Dictionary<TicketCategory, string[]> Templates = new()
    {
        [TicketCategory.Billing] =
        [
            "I was charged twice for {0} this month, please refund one payment.",
            "My invoice for {0} shows the wrong amount of {1} dollars.",
            "Why did my card get billed {1} dollars after I cancelled {0}?",
            "Can I get a receipt with our VAT number for {0}?",
        ],
        [TicketCategory.Shipping] =
        [
            "My order of {0} has not arrived after {1} days.",
            "The parcel with {0} was delivered to the wrong address.",
            "Tracking for {0} has not updated in {1} days, where is it?",
            "The box arrived damaged and {0} is missing a part.",
        ],
        [TicketCategory.Account] =
        [
            "I cannot log in to {0}, the password reset email never comes.",
            "Please change the email address on my account for {0}.",
            "How do I add {1} colleagues to {0}?",
            "I want to delete my account and all data in {0}.",
        ],
        [TicketCategory.Bug] =
        [
            "{0} crashes every time I open the settings page.",
            "Export in {0} produces an empty file since the last update.",
            "Search in {0} returns nothing for names with accents.",
            "{0} freezes for {1} seconds when I paste a large table.",
        ],
        [TicketCategory.FeatureRequest] =
        [
            "Could {0} get a dark mode?",
            "Please let {0} export to spreadsheet format.",
            "It would help if {0} could schedule reports every {1} days.",
            "Would you add keyboard shortcuts to {0}?",
        ],
    };

    /// <summary>Makes <paramref name="count"/> tickets from a fixed seed.</summary>
    public static List<Ticket> Generate(int count)
    {
        var random = new Random(42);
        var categories = Enum.GetValues<TicketCategory>();
        var tickets = new List<Ticket>(count);
        for (var i = 0; i < count; i++)
        {
            var category = categories[random.Next(categories.Length)];
            var templates = Templates[category];
            var text = string.Format(System.Globalization.CultureInfo.InvariantCulture, templates[random.Next(templates.Length)], Products[random.Next(Products.Length)], random.Next(2, 60));
            tickets.Add(new Ticket(i + 1, text, category));
        }

        return tickets;
    }
}
