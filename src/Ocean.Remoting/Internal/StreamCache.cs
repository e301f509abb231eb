using System.Buffers;
using Ocean.Marshalling;

namespace Ocean.Remoting.Internal;

/// <summary>
/// One marshalling writer and one reader kept per thread (for each thread's last marshaller), reset for each call's
/// arguments instead of allocated: they are used synchronously (inside a send callback, or while the arguments are read
/// before the method runs), so a thread never needs two at once; one that does simply gets a new one.
/// </summary>
internal static class StreamCache
{
    [ThreadStatic]
    private static MarshallingWriter? t_writer;

    [ThreadStatic]
    private static IMarshaller? t_writerMarshaller;

    [ThreadStatic]
    private static MarshallingReader? t_reader;

    [ThreadStatic]
    private static IMarshaller? t_readerMarshaller;

    public static MarshallingWriter RentWriter(IMarshaller marshaller, IBufferWriter<byte> output)
    {
        var writer = t_writer;
        if (writer is not null && ReferenceEquals(t_writerMarshaller, marshaller))
        {
            t_writer = null;
            if (writer.TryReset(output))
            {
                return writer;
            }
        }

        return marshaller.CreateWriter(output);
    }

    public static void Return(IMarshaller marshaller, MarshallingWriter writer)
    {
        writer.Dispose();
        t_writer = writer;
        t_writerMarshaller = marshaller;
    }

    public static MarshallingReader RentReader(IMarshaller marshaller, in ReadOnlySequence<byte> input)
    {
        var reader = t_reader;
        if (reader is not null && ReferenceEquals(t_readerMarshaller, marshaller))
        {
            t_reader = null;
            if (reader.TryReset(input))
            {
                return reader;
            }
        }

        return marshaller.CreateReader(input);
    }

    public static void Return(IMarshaller marshaller, MarshallingReader reader)
    {
        reader.Dispose();
        t_reader = reader;
        t_readerMarshaller = marshaller;
    }
}
