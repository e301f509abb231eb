using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Ocean.Marshalling;
using Ocean.Marshalling.Cdr;
using Ocean.Tool.Cdr;

namespace Ocean.Tool;

/// <summary><c>ocean cdr decode|encode</c>: CDR bytes to JSON and back against an inline type description.</summary>
internal static class CdrCommand
{
    private const string Help = """
        usage: ocean cdr decode [--little-endian] [--align-origin N] [--compact] TYPE-SPEC HEX
               ocean cdr encode [--little-endian] [--align-origin N] TYPE-SPEC JSON

        decode: reads CDR bytes (hex; spaces, newlines, ':' and '-' between bytes ignored) as one value of TYPE-SPEC
                and prints it as JSON (indented; --compact for one line).
        encode: writes a JSON value as CDR and prints the bytes as hex, in groups of 4.
        HEX or JSON '-' reads standard input; TYPE-SPEC '@FILE' reads the spec from FILE. A JSON value starting
        with '-' (a negative number) goes after '--'.

        options:
          --little-endian       the bytes are little-endian (default big-endian, as GIOP's flag 0)
          --align-origin N      the alignment position of the first byte (default 0): for a GIOP 1.2 body cut out
                                of a capture, the bytes before it since the message start (12 for the header, ...)
          --compact             decode: print the JSON on one line

        TYPE-SPEC:
          { definition ";" } ( definition [";"] | type )   the value's type: the final type, or else the last definition
          struct Name { type member; type member[N]; ... }  (member[N]: a fixed array, N elements, no count)
          enum Name { A, B, C }
          union Name switch (type) { case 1: case 2: type member; case 'c': ...; default: type member; }
                 labels: integers, TRUE/FALSE, 'c', enum identifiers
          type:  octet boolean char wchar short long "long long" "unsigned short" "unsigned long"
                 "unsigned long long" float double string wstring sequence<type> Name
          names may be qualified (a.b.C, a::b::C); a struct or union names itself only inside sequence<...>;
          // comments run to the end of the line.

        JSON: integers as numbers; float/double as numbers or "NaN", "Infinity", "-Infinity"; boolean true/false;
              char/wchar a one-character string; string/wstring a string; sequences and fixed arrays arrays; struct
              an object (every member, no others); enum the identifier; union {"discriminator": label, "member": value}
              (only the discriminator when no branch is selected).

        exit codes: 0 success; 1 bytes that do not decode (truncated, malformed, bytes left over, nesting deeper
                    than 64 structs and unions); 2 a bad spec (with its position), bad JSON (with its path) or arguments

        example:
          ocean cdr decode "struct Person { string name; string place; long year; }" \
              "00000006 536d6974 68000000 00000007 4c6f6e64 6f6e0000 0000078e"
        """;

    public static int Run(string[] args)
    {
        var line = CommandLine.Parse("cdr", args, ["--little-endian", "--compact"], ["--align-origin"]);
        if (line.Help || line.Positional.Count == 0)
        {
            if (!line.Help)
            {
                throw new UsageException("cdr needs decode or encode (see ocean cdr --help)");
            }

            Program.WriteHelp(Help);
            return Program.Success;
        }

        var action = line.Positional[0];
        if (action is not ("decode" or "encode"))
        {
            throw new UsageException($"unknown cdr command '{action}': decode or encode (see ocean cdr --help)");
        }

        if (line.Positional.Count != 3)
        {
            throw new UsageException(line.Positional.Count < 3
                ? $"cdr {action} needs TYPE-SPEC and {(action == "decode" ? "HEX" : "JSON")} (see ocean cdr --help)"
                : $"unexpected argument '{line.Positional[3]}' (quote the spec and the {(action == "decode" ? "hex" : "JSON")}; see ocean cdr --help)");
        }

        if (action == "encode" && line.Flag("--compact"))
        {
            throw new UsageException("--compact applies only to cdr decode");
        }

        var byteOrder = line.Flag("--little-endian") ? ByteOrder.LittleEndian : ByteOrder.BigEndian;
        var origin = ParseOrigin(line.Get("--align-origin"));
        var type = ParseSpec(line.Positional[1]);
        var input = line.Positional[2] == "-" ? Console.In.ReadToEnd() : line.Positional[2];
        return action == "decode"
            ? Decode(type, ParseHex(input), byteOrder, origin, !line.Flag("--compact"))
            : Encode(type, input, byteOrder, origin);
    }

    private static int Decode(CdrSpecType type, byte[] bytes, ByteOrder byteOrder, long origin, bool indented)
    {
        var output = new BoundedBufferWriter();
        var reader = new CdrReader(bytes, byteOrder, origin);
        using (var json = new Utf8JsonWriter(output, CdrJson.WriterOptions(indented)))
        {
            try
            {
                CdrJson.Decode(type, ref reader, json);
            }
            catch (MarshallingException ex)
            {
                throw new ExchangeException($"cannot decode {type.Name}: {ex.Message}");
            }
        }

        if (reader.Remaining > 0)
        {
            var end = bytes.Length - reader.Remaining;
            throw new ExchangeException(
                $"{reader.Remaining} byte{(reader.Remaining == 1 ? " is" : "s are")} left over after the {type.Name} value (it ends at byte {end} of {bytes.Length})");
        }

        using var stdout = Console.OpenStandardOutput();
        stdout.Write(output.WrittenSpan);
        stdout.Write("\n"u8);
        return Program.Success;
    }

    private static int Encode(CdrSpecType type, string text, ByteOrder byteOrder, long origin)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 4096 });
        }
        catch (JsonException ex)
        {
            throw new UsageException($"the JSON does not parse: {ex.Message}");
        }

        using (document)
        {
            var output = new ArrayBufferWriter<byte>();
            var writer = new CdrWriter(output, byteOrder, origin);
            try
            {
                CdrJson.Encode(type, document.RootElement, ref writer);
            }
            catch (CdrJsonException ex)
            {
                throw new UsageException(ex.Message);
            }

            writer.Flush();
            Console.Out.WriteLine(ToHex(output.WrittenSpan));
        }

        return Program.Success;
    }

    private static CdrSpecType ParseSpec(string text)
    {
        if (text.StartsWith('@'))
        {
            try
            {
                text = File.ReadAllText(text[1..]);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
            {
                throw new UsageException($"cannot read the spec from '{text[1..]}': {ex.Message}");
            }
        }

        try
        {
            return CdrTypeSpec.Parse(text);
        }
        catch (CdrSpecException ex)
        {
            throw new UsageException(ex.Message);
        }
    }

    private static long ParseOrigin(string? text)
    {
        if (text is null)
        {
            return 0;
        }

        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var origin) && origin <= int.MaxValue
            ? origin
            : throw new UsageException($"--align-origin must be a byte count from 0 to 2147483647, not '{text}'");
    }

    /// <summary>Hex digits; whitespace, ':' and '-' between bytes are ignored.</summary>
    private static byte[] ParseHex(string text)
    {
        var digits = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsAsciiHexDigit(c))
            {
                digits.Append(c);
            }
            else if (!(char.IsWhiteSpace(c) || c is ':' or '-'))
            {
                throw new UsageException($"HEX: '{c}' at character {i + 1} is not a hex digit");
            }
        }

        return digits.Length % 2 == 0
            ? Convert.FromHexString(digits.ToString())
            : throw new UsageException($"HEX has an odd number of hex digits ({digits.Length})");
    }

    /// <summary>Lower-case hex in groups of 4 bytes ("00000006 536d6974 68").</summary>
    private static string ToHex(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder(bytes.Length * 9 / 4 + 2);
        for (var i = 0; i < bytes.Length; i++)
        {
            if (i > 0 && i % 4 == 0)
            {
                text.Append(' ');
            }

            text.Append(bytes[i].ToString("x2", CultureInfo.InvariantCulture));
        }

        return text.ToString();
    }
}
