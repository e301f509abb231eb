using System.Buffers;
using Ocean.Marshalling.Cdr;
using Ocean.Marshalling.Internal;

namespace Ocean.Marshalling;

/// <summary>
/// CORBA CDR (as GIOP 1.2 uses it) for ordinary C# types: primitives, strings, enums, arrays and lists as
/// sequences, classes, structs and records as CDR structs, <see cref="CdrUnionAttribute"/> classes as unions.
/// The mapping is deterministic and documented in the assembly's README; per-type code is compiled once.
/// </summary>
/// <remarks>
/// Values are marshalled as a raw CDR stream starting at alignment position 0. Unmarshalling raises
/// <see cref="MarshallingException"/> for any malformed input, never another exception, never allocates
/// what a length merely claims, and creates at most <see cref="CdrMarshallerOptions.MaxObjects"/> objects.
/// </remarks>
[System.Diagnostics.CodeAnalysis.RequiresDynamicCode(Internal.DynamicCodeMessages.CdrDynamicCode)]
[System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(Internal.DynamicCodeMessages.CdrUnreferencedCode)]
public sealed class CdrMarshaller : IMarshaller
{
    private readonly CdrMarshallerOptions _options;

    /// <summary>Creates a marshaller.</summary>
    /// <param name="options">Byte order and limits; <see langword="null"/> for big-endian with the default limits.</param>
    public CdrMarshaller(CdrMarshallerOptions? options = null)
    {
        _options = options ?? new CdrMarshallerOptions();
    }

    /// <summary>A big-endian marshaller with the default limits.</summary>
    public static CdrMarshaller Default { get; } = new();

    /// <inheritdoc/>
    public string Name => "cdr";

    /// <inheritdoc/>
    public bool CanMarshal(Type type, out string? reason)
    {
        ArgumentNullException.ThrowIfNull(type);
        reason = CdrCodecFactory.Explain(type);
        return reason is null;
    }

    /// <inheritdoc/>
    public void Marshal<T>(T value, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var writer = new CdrWriter(output, _options.ByteOrder) { MaxDepth = _options.MaxDepth, MaxObjects = _options.MaxObjects };
        Write(ref writer, value);
        writer.Flush();
    }

    /// <inheritdoc/>
    public T Unmarshal<T>(in ReadOnlySequence<byte> input)
    {
        if (input.IsSingleSegment)
        {
            return Unmarshal<T>(input.FirstSpan);
        }

        // A message split across buffer segments is read from one pooled contiguous copy.
        if (input.Length > Array.MaxLength)
        {
            throw new MarshallingException(MarshallingError.LimitExceeded, "The input is too large.");
        }

        var length = (int)input.Length;
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            input.CopyTo(rented);
            return Unmarshal<T>(rented.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Reads one value of type <typeparamref name="T"/> from contiguous bytes.</summary>
    /// <typeparam name="T">The declared type.</typeparam>
    /// <param name="input">The bytes; all of them must belong to the value.</param>
    /// <returns>The value.</returns>
    /// <exception cref="MarshallingException">The bytes are malformed, truncated, or have bytes left over.</exception>
    public T Unmarshal<T>(ReadOnlySpan<byte> input)
    {
        var reader = new CdrReader(input, _options.ByteOrder) { MaxDepth = _options.MaxDepth, MaxObjects = _options.MaxObjects };
        var value = Read<T>(ref reader);
        if (reader.Remaining != 0)
        {
            throw new MarshallingException(MarshallingError.TrailingBytes, $"{reader.Remaining} bytes are left over after the {typeof(T).Name}.");
        }

        return value;
    }

    /// <summary>Writes a value with an existing writer (inside a larger CDR stream, such as a GIOP message).</summary>
    /// <typeparam name="T">The declared type.</typeparam>
    /// <param name="writer">The writer.</param>
    /// <param name="value">The value.</param>
    /// <exception cref="MarshallingException">The type is not supported or the value cannot be represented.</exception>
    public static void Write<T>(ref CdrWriter writer, T value) => CdrCodecFactory.Get<T>().Write(ref writer, value);

    /// <summary>Reads a value with an existing reader.</summary>
    /// <typeparam name="T">The declared type.</typeparam>
    /// <param name="reader">The reader.</param>
    /// <returns>The value.</returns>
    /// <exception cref="MarshallingException">The bytes are malformed or the type is not supported.</exception>
    public static T Read<T>(ref CdrReader reader)
    {
        try
        {
            return CdrCodecFactory.Get<T>().Read(ref reader);
        }
        catch (Exception ex) when (ex is not MarshallingException)
        {
            // Whatever the bytes, the caller sees one exception type.
            throw new MarshallingException(MarshallingError.Malformed, $"Malformed CDR for {typeof(T).Name}: {ex.Message}", ex);
        }
    }
}
