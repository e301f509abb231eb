using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Ocean.Marshalling;
using Ocean.Remoting.Protocol;

namespace Ocean.Remoting.Internal;

/// <summary>The server reflection service (<see cref="IRemotingReflection"/>): reads the side's export table, never changes it.</summary>
[RequiresDynamicCode(DynamicCodeMessages.Proxies)]
[RequiresUnreferencedCode(DynamicCodeMessages.Unreferenced)]
internal sealed class ReflectionService(ObjectSpace space) : IRemotingReflection
{
    public Task<string[]> ListAsync()
    {
        var names = space.NamedExports().Select(e => e.Name).Where(n => n != ObjectSpace.DgcName).ToArray();
        Array.Sort(names, StringComparer.Ordinal);
        return Task.FromResult(names);
    }

    public Task<string> DescribeAsync(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name == ObjectSpace.DgcName
            || !space.TryFind(Encoding.UTF8.GetBytes(name), RemoteCallContext.CurrentConnection, out var exported, out _)
            || exported.Name == ObjectSpace.DgcName)
        {
            throw new KeyNotFoundException($"No object is exported under '{name}'.");
        }

        return Task.FromResult(Describe(name, exported.Interface, space.Marshaller));
    }

    /// <summary>The JSON document <see cref="IRemotingReflection.DescribeAsync"/> returns.</summary>
    public static string Describe(string name, RemoteInterface description, IMarshaller marshaller)
    {
        var cdr = marshaller as CdrMarshaller;
        var definitions = new List<string>();
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("name", name);
            json.WriteString("interface", MethodSignature.TypeName(description.InterfaceType));
            json.WriteString("marshaller", MarshallerName(marshaller));
            json.WriteStartArray("methods");
            foreach (var method in description.Methods.OrderBy(m => m.CanonicalText, StringComparer.Ordinal))
            {
                json.WriteStartObject();
                json.WriteString("name", method.Method.Name);
                json.WriteString("signature", method.CanonicalText);
                json.WriteString("id", method.Id.ToString("x16", CultureInfo.InvariantCulture));
                json.WriteString("semantics", method.Semantics switch
                {
                    CallSemantics.Maybe => "maybe",
                    CallSemantics.AtLeastOnce => "at-least-once",
                    _ => "at-most-once",
                });
                json.WriteStartArray("parameters");
                foreach (var parameter in method.Method.GetParameters())
                {
                    if (parameter.ParameterType == typeof(CancellationToken))
                    {
                        continue;
                    }

                    json.WriteStartObject();
                    json.WriteString("name", parameter.Name);
                    json.WriteString("clrType", MethodSignature.TypeName(parameter.ParameterType));
                    WriteCdrType(json, cdr, parameter.ParameterType, definitions);
                    json.WriteEndObject();
                }

                json.WriteEndArray();
                var result = MethodSignature.ResultType(method.Method.ReturnType);
                json.WriteStartObject("result");
                json.WriteString("clrType", MethodSignature.TypeName(result));
                if (result != typeof(void))
                {
                    WriteCdrType(json, cdr, result, definitions);
                }

                json.WriteEndObject();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            if (cdr is not null)
            {
                json.WriteStartArray("definitions");
                foreach (var definition in definitions)
                {
                    json.WriteStringValue(definition);
                }

                json.WriteEndArray();
            }

            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteCdrType(Utf8JsonWriter json, CdrMarshaller? cdr, Type type, List<string> definitions)
    {
        if (cdr is null)
        {
            return;
        }

        try
        {
            json.WriteString("type", cdr.DescribeType(type, definitions));
        }
        catch (MarshallingException ex)
        {
            // Not describable (a type only a surrogate the notation cannot show carries): the rest stays usable.
            json.WriteString("typeError", ex.Message);
        }
    }

    private static string MarshallerName(IMarshaller marshaller) => MarshallerIdentity.Of(marshaller) switch
    {
        MarshallerId.CdrBigEndian => "cdr-big-endian",
        MarshallerId.CdrLittleEndian => "cdr-little-endian",
        MarshallerId.Graph => "graph",
        var other => "0x" + ((byte)other).ToString("x2", CultureInfo.InvariantCulture),
    };
}
