using System.Buffers;
using System.Runtime.InteropServices;
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
    private readonly CdrCodecFactory _factory;

    // The options' values, read once per call from here rather than through the options object.
    private readonly bool _littleEndian;
    private readonly int _maxDepth;
    private readonly int _maxObjects;

    /// <summary>Creates a marshaller.</summary>
    /// <param name="options">
    /// Byte order, limits and surrogate provider; <see langword="null"/> for big-endian with the default limits. Copied
    /// now: changing the options object later does not change this marshaller.
    /// </param>
    public CdrMarshaller(CdrMarshallerOptions? options = null)
    {
        _options = options is null ? new CdrMarshallerOptions() : new CdrMarshallerOptions
        {
            ByteOrder = options.ByteOrder,
            MaxDepth = options.MaxDepth,
            MaxObjects = options.MaxObjects,
            SurrogateProvider = options.SurrogateProvider,
        };
        _factory = _options.SurrogateProvider is { } provider ? new CdrCodecFactory(provider) : CdrCodecFactory.Default;
        _littleEndian = _options.ByteOrder == ByteOrder.LittleEndian;
        _maxDepth = _options.MaxDepth;
        _maxObjects = _options.MaxObjects;
    }

    /// <inheritdoc/>
    public IMarshallingSurrogateProvider? SurrogateProvider => _options.SurrogateProvider;

    /// <inheritdoc/>
    public IMarshaller WithSurrogateProvider(IMarshallingSurrogateProvider? provider) => new CdrMarshaller(new CdrMarshallerOptions
    {
        ByteOrder = _options.ByteOrder,
        MaxDepth = _options.MaxDepth,
        MaxObjects = _options.MaxObjects,
        SurrogateProvider = provider,
    });

    /// <summary>A big-endian marshaller with the default limits.</summary>
    public static CdrMarshaller Default { get; } = new();

    /// <inheritdoc/>
    public string Name => "cdr";

    /// <summary>The byte order this marshaller writes (and expects to read): from <see cref="CdrMarshallerOptions.ByteOrder"/>.</summary>
    public ByteOrder ByteOrder => _littleEndian ? ByteOrder.LittleEndian : ByteOrder.BigEndian;

    /// <inheritdoc/>
    public bool CanMarshal(Type type, out string? reason)
    {
        ArgumentNullException.ThrowIfNull(type);
        reason = _factory.Explain(type);
        return reason is null;
    }

    /// <summary>
    /// Describes the CDR type <paramref name="type"/> maps to with this marshaller (its surrogate provider included), in
    /// a small IDL-like notation (see "Describing a type's CDR" in the assembly's README): returns the type expression
    /// (<c>long</c>, <c>sequence&lt;Demo.Person&gt;</c>, <c>Demo.Person</c>) and appends to
    /// <paramref name="definitions"/> each struct, enum or union definition the type needs that is not in it yet
    /// (compared as text), each after the definitions it refers to (a recursive struct refers to itself).
    /// </summary>
    /// <param name="type">The declared type, as given to <see cref="Marshal(Type, object?, IBufferWriter{byte})"/>.</param>
    /// <param name="definitions">
    /// Definitions already made (by earlier calls, for other types), such as
    /// <c>struct Demo.Person { string Name; string Place; long Year; }</c>; the new ones are appended only when the
    /// whole description succeeds.
    /// </param>
    /// <returns>The type expression: a primitive, <c>string</c>, <c>wstring</c>, <c>sequence&lt;T&gt;</c> or a defined name.</returns>
    /// <remarks>
    /// Each definition is written from the codec the marshaller uses for the type: struct members in wire order with
    /// their attributes applied (<c>wstring</c>, <c>char</c>, <c>T name[n];</c>), enum identifiers in ordinal order,
    /// union branches with the labels that select them. A type with a surrogate is described as its surrogate.
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="type"/> or <paramref name="definitions"/> is null.</exception>
    /// <exception cref="MarshallingException">
    /// <see cref="MarshallingError.UnsupportedType"/>: the marshaller cannot carry the type (the exception marshalling
    /// it raises, with <see cref="CanMarshal"/>'s reason), or the notation cannot express it: mutually recursive types,
    /// a fixed-length array as a union branch, an enum without values, a name that <paramref name="definitions"/>
    /// already gives to a different definition, or a name that is a keyword of the notation (<c>long</c>, <c>TRUE</c>)
    /// or holds a character other than letters, digits and <c>_</c> (the message names the member or type).
    /// </exception>
    public string DescribeType(Type type, IList<string> definitions)
    {
        ArgumentNullException.ThrowIfNull(type);
        ArgumentNullException.ThrowIfNull(definitions);
        var codec = (CdrCodec)_factory.Get(type, default);
        var describer = new CdrTypeDescriber(definitions);
        var expression = codec.Describe(describer);
        describer.Publish();
        return expression;
    }

    /// <inheritdoc/>
    public void Marshal<T>(T value, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var writer = new CdrWriter(output, _littleEndian, _maxDepth, _maxObjects);
        _factory.Get<T>().Write(ref writer, value);
        writer.Flush();
    }

    /// <inheritdoc/>
    public void Marshal(Type type, object? value, IBufferWriter<byte> output)
    {
        BoxedValue.Check(type, value);
        ArgumentNullException.ThrowIfNull(output);
        var codec = (CdrCodec)_factory.Get(type, default);
        var writer = new CdrWriter(output, _littleEndian, _maxDepth, _maxObjects);
        codec.WriteBoxed(ref writer, value);
        writer.Flush();
    }

    /// <inheritdoc/>
    public T Unmarshal<T>(in ReadOnlySequence<byte> input)
    {
        // An array-backed sequence (the common case) is read in place without ReadOnlySequence's type tests.
        if (SequenceMarshal.TryGetArray(input, out var segment))
        {
            return Unmarshal<T>(segment.AsSpan());
        }

        if (input.IsSingleSegment)
        {
            return Unmarshal<T>(input.FirstSpan);
        }

        // A message split across buffer segments is read from one pooled contiguous copy.
        var rented = RentCopy(input, out var length);
        try
        {
            return Unmarshal<T>(rented.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <inheritdoc/>
    public object? Unmarshal(Type type, in ReadOnlySequence<byte> input)
    {
        ArgumentNullException.ThrowIfNull(type);
        var codec = (CdrCodec)_factory.Get(type, default);
        if (input.IsSingleSegment)
        {
            return UnmarshalBoxed(codec, type, input.FirstSpan);
        }

        var rented = RentCopy(input, out var length);
        try
        {
            return UnmarshalBoxed(codec, type, rented.AsSpan(0, length));
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
        var reader = new CdrReader(input, _littleEndian, _maxDepth, _maxObjects);
        var value = ReadValue(_factory.Get<T>(), ref reader);
        if (reader.Remaining != 0)
        {
            throw new MarshallingException(MarshallingError.TrailingBytes, $"{reader.Remaining} bytes are left over after the {typeof(T).Name}.");
        }

        return value;
    }

    /// <summary>
    /// Starts a message of several values written as one CDR stream whose alignment origin is the message's first
    /// byte, as in a GIOP 1.2 body; <see cref="CdrMessageWriter.WriteCdr{TState}"/> writes a header by hand.
    /// </summary>
    /// <param name="output">Where the bytes go.</param>
    /// <param name="context">Per-message state for the surrogate provider, if any.</param>
    /// <returns>A writer; dispose it when the message is written.</returns>
    public CdrMessageWriter CreateWriter(IBufferWriter<byte> output, MarshallingContext? context = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        return new CdrMessageWriter(_factory, _options, output, context);
    }

    /// <summary>Starts reading a message written by a <see cref="CdrMessageWriter"/> with the same byte order.</summary>
    /// <param name="input">The message; must stay valid until the reader is disposed.</param>
    /// <param name="context">Per-message state for the surrogate provider, if any.</param>
    /// <returns>A reader; dispose it when done.</returns>
    public CdrMessageReader CreateReader(in ReadOnlySequence<byte> input, MarshallingContext? context = null) => new(_factory, _options, input, context);

    /// <inheritdoc/>
    MarshallingWriter IMarshaller.CreateWriter(IBufferWriter<byte> output, MarshallingContext? context) => CreateWriter(output, context);

    /// <inheritdoc/>
    MarshallingReader IMarshaller.CreateReader(in ReadOnlySequence<byte> input, MarshallingContext? context) => CreateReader(input, context);

    /// <summary>Writes a value with an existing writer (inside a larger CDR stream, such as a GIOP message).</summary>
    /// <typeparam name="T">The declared type.</typeparam>
    /// <param name="writer">The writer.</param>
    /// <param name="value">The value.</param>
    /// <remarks>Uses no surrogate provider; a <see cref="CdrMessageWriter"/> uses its marshaller's.</remarks>
    /// <exception cref="MarshallingException">The type is not supported or the value cannot be represented.</exception>
    public static void Write<T>(ref CdrWriter writer, T value) => CdrCodecFactory.Default.Get<T>().Write(ref writer, value);

    /// <summary>Writes a value, its type given at run time, with an existing writer; value types are boxed.</summary>
    /// <param name="writer">The writer.</param>
    /// <param name="type">The declared type.</param>
    /// <param name="value">The value: an instance of <paramref name="type"/>.</param>
    /// <remarks>Uses no surrogate provider.</remarks>
    /// <exception cref="ArgumentNullException"><paramref name="type"/> is null, or <paramref name="value"/> is null and <paramref name="type"/> a value type.</exception>
    /// <exception cref="ArgumentException"><paramref name="value"/> is not an instance of <paramref name="type"/>.</exception>
    /// <exception cref="MarshallingException">The type is not supported or the value cannot be represented.</exception>
    public static void Write(ref CdrWriter writer, Type type, object? value)
    {
        BoxedValue.Check(type, value);
        ((CdrCodec)CdrCodecFactory.Default.Get(type, default)).WriteBoxed(ref writer, value);
    }

    /// <summary>Reads a value with an existing reader.</summary>
    /// <typeparam name="T">The declared type.</typeparam>
    /// <param name="reader">The reader.</param>
    /// <returns>The value.</returns>
    /// <remarks>Uses no surrogate provider.</remarks>
    /// <exception cref="MarshallingException">The bytes are malformed or the type is not supported.</exception>
    public static T Read<T>(ref CdrReader reader) => ReadValue(CdrCodecFactory.Default.Get<T>(), ref reader);

    /// <summary>Reads a value, its type given at run time, with an existing reader.</summary>
    /// <param name="reader">The reader.</param>
    /// <param name="type">The declared type.</param>
    /// <returns>The value, boxed.</returns>
    /// <remarks>Uses no surrogate provider.</remarks>
    /// <exception cref="MarshallingException">The bytes are malformed or the type is not supported.</exception>
    public static object? Read(ref CdrReader reader, Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        return ReadValue((CdrCodec)CdrCodecFactory.Default.Get(type, default), type, ref reader);
    }

    internal static T ReadValue<T>(CdrCodec<T> codec, ref CdrReader reader)
    {
        try
        {
            return codec.Read(ref reader);
        }
        catch (Exception ex) when (ex is not MarshallingException)
        {
            // Whatever the bytes (and whatever a surrogate provider throws), the caller sees one exception type.
            throw new MarshallingException(MarshallingError.Malformed, $"Malformed CDR for {typeof(T).Name}: {ex.Message}", ex);
        }
    }

    internal static object? ReadValue(CdrCodec codec, Type type, ref CdrReader reader)
    {
        try
        {
            return codec.ReadBoxed(ref reader);
        }
        catch (Exception ex) when (ex is not MarshallingException)
        {
            throw new MarshallingException(MarshallingError.Malformed, $"Malformed CDR for {type.Name}: {ex.Message}", ex);
        }
    }

    private static byte[] RentCopy(in ReadOnlySequence<byte> input, out int length)
    {
        if (input.Length > Array.MaxLength)
        {
            throw new MarshallingException(MarshallingError.LimitExceeded, "The input is too large.");
        }

        length = (int)input.Length;
        var rented = ArrayPool<byte>.Shared.Rent(length);
        input.CopyTo(rented);
        return rented;
    }

    private object? UnmarshalBoxed(CdrCodec codec, Type type, ReadOnlySpan<byte> input)
    {
        var reader = new CdrReader(input, _littleEndian, _maxDepth, _maxObjects);
        var value = ReadValue(codec, type, ref reader);
        if (reader.Remaining != 0)
        {
            throw new MarshallingException(MarshallingError.TrailingBytes, $"{reader.Remaining} bytes are left over after the {type.Name}.");
        }

        return value;
    }
}
