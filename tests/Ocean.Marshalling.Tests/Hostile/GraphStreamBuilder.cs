using System.Buffers.Binary;
using System.Text;
using Ocean.Marshalling.Internal;

namespace Ocean.Marshalling.Tests.Hostile;

/// <summary>Writes object-graph streams by hand, as a hostile peer would: any descriptor, any counts.</summary>
internal sealed class GraphStreamBuilder
{
    private readonly List<byte> _bytes = [];

    public int Length => _bytes.Count;

    /// <summary>Starts a stream: magic, version and the root signature.</summary>
    public static GraphStreamBuilder Stream(params byte[] rootSignature) => new GraphStreamBuilder().Raw(0x4F, 0x47, 0x01).Raw(rootSignature);

    /// <summary>A class descriptor (name, fingerprint, members) as the README lays it out, with a valid fingerprint.</summary>
    public static byte[] Descriptor(string name, params (string Name, byte[] Signature)[] members)
    {
        var body = new GraphStreamBuilder().Name(name);
        var fingerprintAt = body.Length;
        body.Raw(new byte[8]).Varint((uint)members.Length);
        foreach (var (memberName, signature) in members)
        {
            body.Name(memberName).Raw(signature);
        }

        var descriptor = body.ToArray();
        var fingerprint = GraphWire.Fnv1a(GraphWire.Fnv1a(GraphWire.FnvOffset, descriptor.AsSpan(0, fingerprintAt)), descriptor.AsSpan(fingerprintAt + 8));
        BinaryPrimitives.WriteUInt64LittleEndian(descriptor.AsSpan(fingerprintAt), fingerprint);
        return descriptor;
    }

    public GraphStreamBuilder Raw(params byte[] bytes)
    {
        _bytes.AddRange(bytes);
        return this;
    }

    public GraphStreamBuilder Varint(uint value)
    {
        while (value >= 0x80)
        {
            _bytes.Add((byte)(value | 0x80));
            value >>= 7;
        }

        _bytes.Add((byte)value);
        return this;
    }

    public GraphStreamBuilder Name(string name)
    {
        var utf8 = Encoding.UTF8.GetBytes(name);
        return Varint((uint)utf8.Length).Raw(utf8);
    }

    public GraphStreamBuilder Int32(int value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, value);
        return Raw(bytes);
    }

    public byte[] ToArray() => [.. _bytes];
}
