namespace Ocean.Samples;

/// <summary>The textbook's Person: CDR struct { string name; string place; long year; }.</summary>
public sealed record Person(string Name, string Place, int Year)
{
    /// <summary>Parses "Name,Place,Year".</summary>
    public static Person Parse(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length != 3 || !int.TryParse(parts[2], System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var year))
        {
            throw new ArgumentException($"A person is \"Name,Place,Year\", not \"{text}\".");
        }

        return new Person(parts[0], parts[1], year);
    }
}
