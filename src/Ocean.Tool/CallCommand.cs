using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Ocean.Marshalling;
using Ocean.Marshalling.Cdr;
using Ocean.Remoting;
using Ocean.Tool.Cdr;

namespace Ocean.Tool;

/// <summary>
/// <c>ocean call</c>: what a server exports (its reflection service, <c>ocean.reflection</c>) and one call on it, with
/// JSON arguments encoded to CDR from the types the description gives.
/// </summary>
internal static class CallCommand
{
    private const string Help = """
        usage: ocean call HOST:PORT [NAME [METHOD [ARGUMENTS]]] [options]
               ocean call REFERENCE [METHOD [ARGUMENTS]] [options]

        Asks the server's reflection service (ocean.reflection; the server must enable it with
        RemotingServerOptions.EnableReflection) what it exports, and calls a method:
          ocean call HOST:PORT                      every exported name, its interface and methods
          ocean call HOST:PORT NAME                 the methods of the object exported under NAME
          ocean call HOST:PORT NAME METHOD [ARGS]   call METHOD, print its result as JSON
          ocean call REFERENCE [METHOD [ARGS]]      the same for the object a reference names
                                                    (ocean://HOST:PORT/INCARNATION/NUMBER?interface=NAME)
        METHOD is a method's name (get_Name for a property), or its whole signature when the name is overloaded.
        ARGS is one JSON array of the arguments in order ('[2, 3]') or an object by parameter name ('{"a": 2, "b": 3}');
        none for a method without parameters. A struct is an object, a sequence an array, an enum its name, a
        union {"discriminator": ..., "member": ...} (see ocean cdr --help). Calls need a server using CDR.
        A void method prints nothing; a one-way method is sent and not answered. A failed call prints its status,
        whether the method ran (completion) and the server's message, and exits 1.

        options:
          --json               print the reflection service's JSON descriptions instead of the summary
          --metadata KEY=VALUE metadata sent with the call (repeatable)
          --timeout SECONDS    how long to wait for the connection and for each answer (default 5)
          --deadline SECONDS   the call's deadline, sent with it (default: --timeout)
        """ + TlsOptions.ConnectHelp;

    public static async Task<int> RunAsync(string[] args, CancellationToken stop)
    {
        var line = CommandLine.Parse("call", args, ["--json", .. TlsOptions.ConnectFlags], ["--metadata", "--timeout", "--deadline", .. TlsOptions.ConnectValued]);
        if (line.Help)
        {
            Program.WriteHelp(Help);
            return Program.Success;
        }

        if (line.Positional.Count == 0)
        {
            throw new UsageException("call needs HOST:PORT or a reference (see ocean call --help)");
        }

        var target = RemoteTarget.Parse(line.Positional[0], allowReference: true) with { Tls = TlsOptions.ForConnect(line, udp: false) };
        var rest = line.Positional.Skip(1).ToList();
        string? name = target.ObjectKey;
        if (name is null && rest.Count > 0)
        {
            name = rest[0];
            rest.RemoveAt(0);
        }

        if (rest.Count > 2)
        {
            throw new UsageException($"unexpected argument '{rest[2]}': give the arguments as one JSON array (see ocean call --help)");
        }

        var method = rest.Count > 0 ? rest[0] : null;
        JsonElement? arguments = rest.Count > 1 ? ParseArguments(rest[1]) : null;
        var timeout = CommandLine.ParseTimeout(line.Get("--timeout"));
        var deadline = line.Get("--deadline") is { } deadlineText ? CommandLine.ParseTimeout(deadlineText, "--deadline") : timeout;
        var metadata = line.All("--metadata").Select(ParseMetadata).ToList();
        CheckMetadataSection(metadata);
        if (method is null && metadata.Count > 0)
        {
            throw new UsageException("--metadata goes with a call: give a METHOD");
        }

        ExportDescription[] descriptions;
        await using (var client = await target.ConnectAsync(timeout, stop))
        {
            var reflection = client.GetProxy<IRemotingReflection>(IRemotingReflection.WellKnownName);
            string[] names = name is not null
                ? [name]
                : [.. (await AskAsync(target, timeout, reflection.ListAsync, stop) ?? []).Where(n => !string.IsNullOrEmpty(n))];
            descriptions = new ExportDescription[names.Length];
            for (var i = 0; i < names.Length; i++)
            {
                var text = await AskAsync(target, timeout, () => reflection.DescribeAsync(names[i]), stop);
                descriptions[i] = ExportDescription.Parse(text);
            }
        }

        if (method is null)
        {
            foreach (var description in descriptions)
            {
                Console.Out.WriteLine(line.Flag("--json") ? description.Json : description.Summary(target.ObjectKey is null));
            }

            return Program.Success;
        }

        return await CallAsync(target, descriptions[0], method, arguments, metadata, timeout, deadline, stop);
    }

    private static async Task<int> CallAsync(
        RemoteTarget target, ExportDescription export, string methodText, JsonElement? arguments,
        List<KeyValuePair<string, string>> metadata, TimeSpan timeout, TimeSpan deadline, CancellationToken stop)
    {
        var method = export.Find(methodText, arguments);
        var byteOrder = export.Marshaller switch
        {
            "cdr-big-endian" => ByteOrder.BigEndian,
            "cdr-little-endian" => ByteOrder.LittleEndian,
            _ => throw new ExchangeException($"ocean call makes calls to servers using CDR; {target.Display} uses '{export.Marshaller}'"),
        };

        // Every argument's value against its type, before anything is sent: a mistake is a usage error.
        var values = method.Bind(arguments);
        var types = method.Parameters.Select(p => export.TypeOf(p.Type, $"parameter '{p.Name}'")).ToArray();
        var encoded = new ArrayBufferWriter<byte>();
        var writer = new CdrWriter(encoded, byteOrder);
        for (var i = 0; i < values.Length; i++)
        {
            try
            {
                CdrJson.Encode(types[i], values[i], ref writer);
            }
            catch (CdrJsonException ex)
            {
                throw new UsageException($"argument '{method.Parameters[i].Name}': {ex.Message}");
            }
        }

        writer.Flush();
        var resultType = method.ResultType is { } result ? export.TypeOf(result, "the result") : null;

        await using var call = await RawCall.ConnectAsync(target, byteOrder == ByteOrder.BigEndian ? (byte)1 : (byte)2, timeout, stop);
        var reply = await call.CallAsync(target.ObjectKey ?? export.Name, method.Id, method.OneWay, deadline, metadata, output => output.Write(encoded.WrittenSpan), stop);
        if (reply is null)
        {
            Console.Error.WriteLine("sent (one-way: no reply comes)");
            return Program.Success;
        }

        if (reply.Status != RemotingStatus.Ok)
        {
            var completion = reply.Completion switch
            {
                CompletionStatus.Yes => "the method ran",
                CompletionStatus.No => "the method did not run",
                _ => "the method may have run",
            };
            throw new ExchangeException($"{reply.Status} ({completion}): {(reply.RemoteType is { } type ? type + ": " : "")}{reply.Message}");
        }

        if (resultType is null)
        {
            return Program.Success;
        }

        var output = new BoundedBufferWriter();
        using (var json = new Utf8JsonWriter(output, CdrJson.WriterOptions(indented: true)))
        {
            var reader = new CdrReader(reply.Result, byteOrder);
            try
            {
                CdrJson.Decode(resultType, ref reader, json);
            }
            catch (MarshallingException ex)
            {
                throw new ExchangeException($"the result does not decode as {method.ResultType}: {ex.Message}");
            }

            if (reader.Remaining != 0)
            {
                throw new ExchangeException($"{reader.Remaining} bytes left after the result");
            }
        }

        Console.Out.WriteLine(Encoding.UTF8.GetString(output.WrittenSpan));
        return Program.Success;
    }

    private static async Task<T> AskAsync<T>(RemoteTarget target, TimeSpan timeout, Func<Task<T>> ask, CancellationToken stop)
    {
        try
        {
            return await ask().WaitAsync(timeout, stop);
        }
        catch (RemotingException ex) when (ex.Status == RemotingStatus.UnknownObject)
        {
            throw new ExchangeException($"{target.Display} has no reflection service ({IRemotingReflection.WellKnownName}): the server must set RemotingServerOptions.EnableReflection");
        }
        catch (RemotingException ex) when (ex.Status == RemotingStatus.ApplicationException && ex.RemoteTypeName == typeof(KeyNotFoundException).FullName)
        {
            throw new ExchangeException(ex.RemoteMessage ?? ex.Message);
        }
        catch (TimeoutException)
        {
            throw new ExchangeException($"no answer from {target.Display} within {timeout.TotalSeconds:0.###} s");
        }
    }

    private static JsonElement ParseArguments(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            return root.ValueKind is JsonValueKind.Array or JsonValueKind.Object
                ? root.Clone()
                : throw new UsageException("the arguments are one JSON array ('[2, 3]') or an object by parameter name ('{\"a\": 2}')");
        }
        catch (JsonException ex)
        {
            throw new UsageException($"the arguments are not JSON: {ex.Message}");
        }
    }

    /// <summary>The protocol's default limits on a request's metadata (see Ocean.Remoting's README): refused here, not by the server.</summary>
    private static void CheckMetadataSection(List<KeyValuePair<string, string>> metadata)
    {
        const int MaxEntries = 64, MaxSectionBytes = 16 * 1024;
        if (metadata.Count > MaxEntries)
        {
            throw new UsageException($"--metadata is given {metadata.Count} times; a call carries at most {MaxEntries} entries");
        }

        var bytes = metadata.Sum(e => 1 + Encoding.UTF8.GetByteCount(e.Key) + 2 + Encoding.UTF8.GetByteCount(e.Value));
        if (bytes > MaxSectionBytes)
        {
            throw new UsageException($"the metadata takes {bytes} bytes; a call carries at most {MaxSectionBytes}");
        }
    }

    private static KeyValuePair<string, string> ParseMetadata(string text)
    {
        var equals = text.IndexOf('=', StringComparison.Ordinal);
        if (equals <= 0 || equals > 255 || !text[..equals].All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_' or '.'))
        {
            throw new UsageException($"--metadata takes KEY=VALUE with a key of a-z 0-9 - _ . (1 to 255 characters), not '{text}'");
        }

        return new(text[..equals], text[(equals + 1)..]);
    }

    /// <summary>One export as the reflection service describes it.</summary>
    private sealed record ExportDescription(string Json, string Name, string Interface, string Marshaller, MethodDescription[] Methods, string[]? Definitions)
    {
        public static ExportDescription Parse(string? json)
        {
            // A server (or something pretending to be one) wrote this: every field is checked, nothing is trusted.
            if (json is null)
            {
                throw new ExchangeException("the server's reflection service sent no description");
            }

            try
            {
                using var document = JsonDocument.Parse(json);
                var root = document.RootElement;
                var methods = root.GetProperty("methods").EnumerateArray().Select(m => new MethodDescription(
                    Required(m, "name"),
                    Required(m, "signature"),
                    ulong.TryParse(Required(m, "id"), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var id) ? id : throw new FormatException("a method id is not 16 hex digits"),
                    Required(m, "semantics"),
                    [.. m.GetProperty("parameters").EnumerateArray().Select(p => new ParameterDescription(Required(p, "name"), Required(p, "clrType"), OptionalString(p, "type")))],
                    Required(m.GetProperty("result"), "clrType"),
                    OptionalString(m.GetProperty("result"), "type"))).ToArray();
                var definitions = root.TryGetProperty("definitions", out var d) ? d.EnumerateArray().Select(e => e.GetString() ?? throw new FormatException("a definition is null")).ToArray() : null;
                return new ExportDescription(json, Required(root, "name"), Required(root, "interface"), Required(root, "marshaller"), methods, definitions);
            }
            catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or ArgumentException)
            {
                throw new ExchangeException($"the server's reflection service sent a description this tool cannot read ({ex.Message})");
            }
        }

        private static string Required(JsonElement element, string name) =>
            element.GetProperty(name).GetString() is { Length: > 0 } text ? text : throw new FormatException($"'{name}' is missing or empty");

        public string Summary(bool withName)
        {
            var text = new StringBuilder();
            text.Append(withName ? $"{Name}: {Interface}" : Interface).AppendLine();
            foreach (var method in Methods)
            {
                text.Append("  ").Append(method.Display).AppendLine();
            }

            return text.ToString().TrimEnd();
        }

        public MethodDescription Find(string text, JsonElement? arguments)
        {
            var bySignature = Methods.Where(m => m.Signature == text).ToArray();
            if (bySignature.Length == 1)
            {
                return bySignature[0];
            }

            var byName = Methods.Where(m => m.Name == text).ToArray();
            if (byName.Length == 0)
            {
                throw new UsageException($"{Name} ({Interface}) has no method '{text}'; it has {string.Join(", ", Methods.Select(m => m.Name).Distinct())}");
            }

            if (byName.Length > 1 && arguments is { ValueKind: JsonValueKind.Array } array)
            {
                byName = byName.Where(m => m.Parameters.Length == array.GetArrayLength()).ToArray();
            }

            return byName.Length == 1
                ? byName[0]
                : throw new UsageException($"'{text}' is overloaded: give the whole signature, one of: {string.Join(" | ", Methods.Where(m => m.Name == text).Select(m => m.Signature))}");
        }

        /// <summary>
        /// The definitions <paramref name="type"/> uses, directly or through other definitions, in the description's
        /// order (each after the ones it uses): one definition this tool cannot read spoils only the methods using it.
        /// </summary>
        private List<string> Needed(string type)
        {
            var byName = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var definition in Definitions ?? [])
            {
                var words = definition.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries);
                if (words.Length >= 2)
                {
                    byName.TryAdd(words[1], definition);
                }
            }

            var needed = new HashSet<string>(StringComparer.Ordinal);
            var pending = new Stack<string>([type]);
            while (pending.TryPop(out var text))
            {
                foreach (System.Text.RegularExpressions.Match name in s_name.Matches(text))
                {
                    if (byName.TryGetValue(name.Value, out var definition) && needed.Add(name.Value))
                    {
                        pending.Push(definition);
                    }
                }
            }

            return [.. (Definitions ?? []).Where(d => d.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries) is [_, var name, ..] && needed.Contains(name))];
        }

        private static readonly System.Text.RegularExpressions.Regex s_name = new(@"[\p{L}_][\p{L}\p{Nd}_]*(?:(?:\.|::)[\p{L}_][\p{L}\p{Nd}_]*)*");

        /// <summary>The parsed type of a parameter or result: the definitions it uses, then the type.</summary>
        public CdrSpecType TypeOf(string? type, string what)
        {
            if (type is null)
            {
                throw new ExchangeException($"the server gave no CDR type for {what} (see ocean call --json)");
            }

            var needed = Needed(type);
            var spec = needed.Count > 0 ? string.Join("; ", needed) + "; " + type : type;
            try
            {
                return CdrTypeSpec.Parse(spec);
            }
            catch (CdrSpecException ex)
            {
                throw new ExchangeException($"the server described {what} in a way this tool cannot read: {ex.Message}");
            }
        }
    }

    private sealed record ParameterDescription(string Name, string ClrType, string? Type);

    private sealed record MethodDescription(string Name, string Signature, ulong Id, string Semantics, ParameterDescription[] Parameters, string ResultClrType, string? ResultType)
    {
        public bool OneWay => Semantics == "maybe";

        public string Display
        {
            get
            {
                var parameters = string.Join(", ", Parameters.Select(p => $"{Short(p.ClrType)} {p.Name}"));
                var semantics = Semantics switch
                {
                    "maybe" => "  [one-way]",
                    "at-least-once" => "  [idempotent]",
                    _ => "",
                };
                return $"{Short(ResultClrType)} {Name}({parameters}){semantics}";
            }
        }

        /// <summary>The arguments in parameter order, from a JSON array or an object by parameter name.</summary>
        public JsonElement[] Bind(JsonElement? arguments)
        {
            if (arguments is not { } given)
            {
                return Parameters.Length == 0
                    ? []
                    : throw new UsageException($"{Name} takes {Parameters.Length} argument(s) ({string.Join(", ", Parameters.Select(p => p.Name))}): give them as a JSON array");
            }

            if (given.ValueKind == JsonValueKind.Array)
            {
                return given.GetArrayLength() == Parameters.Length
                    ? [.. given.EnumerateArray()]
                    : throw new UsageException($"{Name} takes {Parameters.Length} argument(s) ({string.Join(", ", Parameters.Select(p => p.Name))}), not {given.GetArrayLength()}");
            }

            foreach (var property in given.EnumerateObject())
            {
                if (!Parameters.Any(p => p.Name == property.Name))
                {
                    throw new UsageException($"{Name} has no parameter '{property.Name}'");
                }
            }

            return [.. Parameters.Select(p => given.TryGetProperty(p.Name, out var value) ? value : throw new UsageException($"argument '{p.Name}' is missing"))];
        }

        private static string Short(string clrType) =>
            s_primitive.Replace(clrType, m => s_keywords[m.Groups[1].Value]);

        private static readonly System.Text.RegularExpressions.Regex s_primitive =
            new(@"\bSystem\.(Void|Boolean|Byte|SByte|Char|Int16|UInt16|Int32|UInt32|Int64|UInt64|Single|Double|String|Decimal|Object)(?![\w.+])");

        private static readonly Dictionary<string, string> s_keywords = new(StringComparer.Ordinal)
        {
            ["Void"] = "void", ["Boolean"] = "bool", ["Byte"] = "byte", ["SByte"] = "sbyte", ["Char"] = "char",
            ["Int16"] = "short", ["UInt16"] = "ushort", ["Int32"] = "int", ["UInt32"] = "uint", ["Int64"] = "long",
            ["UInt64"] = "ulong", ["Single"] = "float", ["Double"] = "double", ["String"] = "string",
            ["Decimal"] = "decimal", ["Object"] = "object",
        };
    }

    private static string? OptionalString(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
