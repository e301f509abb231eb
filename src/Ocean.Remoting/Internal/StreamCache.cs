using System.Buffers;
using Ocean.Marshalling;

namespace Ocean.Remoting.Internal;

/// <summary>
/// What the reference surrogates need to know about the message being written or read: the connection it travels on
/// (an exported object's reference depends on it, and a proxy read from it calls back over it).
/// </summary>
internal sealed class ReferenceContext : MarshallingContext
{
    public RemotingConnection? Connection { get; set; }
}

/// <summary>
/// One marshalling writer and one reader kept per thread (for each thread's last marshaller), reset for each call's
/// arguments or result instead of allocated: they are used synchronously (inside a send callback, or while the
/// arguments are read), so a thread rarely needs two at once; a nested use simply gets a new one. Each carries its own
/// <see cref="ReferenceContext"/>, pointed at the message's connection while rented.
/// </summary>
internal static class StreamCache
{
    [ThreadStatic]
    private static Slot<MarshallingWriter>? t_writer;

    [ThreadStatic]
    private static Slot<MarshallingReader>? t_reader;

    public static MarshallingWriter RentWriter(IMarshaller marshaller, IBufferWriter<byte> output, RemotingConnection? connection)
    {
        var slot = t_writer ??= new Slot<MarshallingWriter>();
        if (!slot.InUse)
        {
            if (slot.Item is { } writer && ReferenceEquals(slot.Marshaller, marshaller) && writer.TryReset(output))
            {
                slot.Take(connection);
                return writer;
            }

            var context = new ReferenceContext();
            slot.Replace(marshaller.CreateWriter(output, context), context, marshaller);
            slot.Take(connection);
            return slot.Item!;
        }

        return marshaller.CreateWriter(output, new ReferenceContext { Connection = connection });
    }

    public static void Return(MarshallingWriter writer)
    {
        writer.Dispose();
        if (t_writer is { } slot && ReferenceEquals(slot.Item, writer))
        {
            slot.Release();
        }
    }

    public static MarshallingReader RentReader(IMarshaller marshaller, in ReadOnlySequence<byte> input, RemotingConnection? connection)
    {
        var slot = t_reader ??= new Slot<MarshallingReader>();
        if (!slot.InUse)
        {
            if (slot.Item is { } reader && ReferenceEquals(slot.Marshaller, marshaller) && reader.TryReset(input))
            {
                slot.Take(connection);
                return reader;
            }

            var context = new ReferenceContext();
            slot.Replace(marshaller.CreateReader(input, context), context, marshaller);
            slot.Take(connection);
            return slot.Item!;
        }

        return marshaller.CreateReader(input, new ReferenceContext { Connection = connection });
    }

    /// <summary>Reads a reply's result: one marshalling stream and nothing after it; references in it become proxies bound to <paramref name="connection"/>.</summary>
    /// <exception cref="MarshallingException">The bytes are not one <typeparamref name="TResult"/>, or bytes follow it.</exception>
    public static TResult ReadResult<TResult>(IMarshaller marshaller, in ReadOnlySequence<byte> bytes, RemotingConnection? connection)
    {
        var reader = RentReader(marshaller, bytes, connection);
        try
        {
            var result = reader.Read<TResult>();
            if (!reader.IsAtEnd)
            {
                throw new MarshallingException(MarshallingError.TrailingBytes, $"{reader.Remaining} bytes follow the result.");
            }

            return result;
        }
        finally
        {
            Return(reader);
        }
    }

    public static void Return(MarshallingReader reader)
    {
        reader.Dispose();
        if (t_reader is { } slot && ReferenceEquals(slot.Item, reader))
        {
            slot.Release();
        }
    }

    /// <summary>A thread's cached writer or reader, its context, and whether it is rented now.</summary>
    private sealed class Slot<T>
        where T : class
    {
        private ReferenceContext? _context;

        public T? Item { get; private set; }

        public IMarshaller? Marshaller { get; private set; }

        public bool InUse { get; private set; }

        public void Replace(T item, ReferenceContext context, IMarshaller marshaller)
        {
            Item = item;
            _context = context;
            Marshaller = marshaller;
        }

        public void Take(RemotingConnection? connection)
        {
            InUse = true;
            _context!.Connection = connection;
        }

        public void Release()
        {
            InUse = false;
            _context!.Connection = null;
        }
    }
}
