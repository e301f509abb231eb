using System.Reflection;
using System.Reflection.Emit;
using Ocean.Marshalling.Cdr;

namespace Ocean.Marshalling.Internal;

/// <summary>
/// A class, struct or record as a CDR struct: members in order. The reader and writer are compiled to IL once
/// per type (primitives call <see cref="CdrWriter"/> and <see cref="CdrReader"/> directly), never reflection per value.
/// </summary>
[System.Diagnostics.CodeAnalysis.RequiresDynamicCode(DynamicCodeMessages.CdrDynamicCode)]
[System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(DynamicCodeMessages.CdrUnreferencedCode)]
internal sealed class StructCodec<T> : CdrCodec<T>, IInitializableCodec
{
    private readonly StructLayout _layout;
    private WriteFn? _write;
    private ReadFn? _read;
    private int _minimumSize;
    private int _minimumObjects;

    /// <summary>Every member is flat (see <see cref="CdrCodec.IsFlat"/>): nothing below this struct can nest, decided once here.</summary>
    private bool _flat;

    /// <summary>The members' codecs, in wire order (the ones the compiled writer and reader call).</summary>
    private object[] _codecs = [];

    private readonly CdrCodecFactory _factory;

    public StructCodec(StructLayout layout, CdrCodecFactory factory)
    {
        _layout = layout;
        _factory = factory;
    }

    private delegate void WriteFn(ref CdrWriter writer, T value);

    private delegate T ReadFn(ref CdrReader reader);

    public override int MinimumSize => Math.Max(1, _minimumSize);

    /// <summary>A class instance counts as one object (a value-type struct lives inside its container), plus its members'.</summary>
    public override int MinimumObjects => typeof(T).IsValueType ? _minimumObjects : SaturatingAdd(1, _minimumObjects);

    public void Initialize()
    {
        var codecs = _layout.Members.Select(m => _factory.Get(m.Type, m.Options)).ToArray();

        // A recursive member sees this codec's bounds still at 0: they remain lower bounds.
        _minimumSize = codecs.Aggregate(0, (sum, c) => SaturatingAdd(sum, ((CdrCodec)c).MinimumSize));
        _minimumObjects = codecs.Aggregate(0, (sum, c) => SaturatingAdd(sum, ((CdrCodec)c).MinimumObjects));
        _flat = codecs.All(c => ((CdrCodec)c).IsFlat);
        _codecs = codecs;
        _write = EmitWrite(codecs);
        _read = EmitRead(codecs);
    }

    public override void Write(ref CdrWriter writer, T value)
    {
        if (value is null)
        {
            throw new MarshallingException(MarshallingError.UnrepresentableValue, $"CDR has no null {typeof(T).Name}.");
        }

        if (_flat)
        {
            // The same limit as EnterNested checks; nothing below nests, so the level is not stored (see CheckFlatNested).
            writer.CheckFlatNested();
            if (!typeof(T).IsValueType)
            {
                writer.CountObject();
            }

            _write!(ref writer, value);
            return;
        }

        writer.EnterNested();
        if (!typeof(T).IsValueType)
        {
            writer.CountObject();
        }

        _write!(ref writer, value);
        writer.ExitNested();
    }

    public override T Read(ref CdrReader reader)
    {
        if (_flat)
        {
            reader.CheckFlatNested();
            if (!typeof(T).IsValueType)
            {
                reader.CountObject();
            }

            return _read!(ref reader);
        }

        reader.EnterNested();
        if (!typeof(T).IsValueType)
        {
            reader.CountObject();
        }

        var value = _read!(ref reader);
        reader.ExitNested();
        return value;
    }

    /// <summary><c>struct Name { T member; ... }</c>: the members in the order the compiled writer writes them.</summary>
    public override string Describe(CdrTypeDescriber describer)
    {
        var name = CdrTypeDescriber.NameOf(typeof(T));
        if (describer.Enter(typeof(T)))
        {
            var text = new System.Text.StringBuilder("struct ").Append(name).Append(" {");
            for (var i = 0; i < _layout.Members.Count; i++)
            {
                text.Append(' ').Append(describer.Member(typeof(T), (CdrCodec)_codecs[i], _layout.Members[i].Name, inUnion: false));
            }

            describer.Define(typeof(T), name, text.Append(" }").ToString());
        }

        return name;
    }

    private WriteFn EmitWrite(object[] codecs)
    {
        var method = new DynamicMethod($"CdrWrite_{typeof(T).Name}", null, [typeof(object[]), typeof(CdrWriter).MakeByRefType(), typeof(T)], typeof(StructCodec<T>).Module, skipVisibility: true);
        var il = method.GetILGenerator();
        for (var i = 0; i < _layout.Members.Count; i++)
        {
            var member = _layout.Members[i];
            if (PrimitiveWriter(member) is { } write)
            {
                il.Emit(OpCodes.Ldarg_1);
                EmitLoadMember(il, member);
                il.Emit(OpCodes.Call, write);
            }
            else
            {
                var codecType = typeof(CdrCodec<>).MakeGenericType(member.Type);
                EmitLoadCodec(il, i, codecType);
                il.Emit(OpCodes.Ldarg_1);
                EmitLoadMember(il, member);
                il.Emit(OpCodes.Callvirt, codecType.GetMethod(nameof(CdrCodec<int>.Write))!);
            }
        }

        il.Emit(OpCodes.Ret);
        return (WriteFn)method.CreateDelegate(typeof(WriteFn), codecs);
    }

    private ReadFn EmitRead(object[] codecs)
    {
        var method = new DynamicMethod($"CdrRead_{typeof(T).Name}", typeof(T), [typeof(object[]), typeof(CdrReader).MakeByRefType()], typeof(StructCodec<T>).Module, skipVisibility: true);
        var il = method.GetILGenerator();
        var locals = new LocalBuilder[_layout.Members.Count];
        for (var i = 0; i < _layout.Members.Count; i++)
        {
            var member = _layout.Members[i];
            locals[i] = il.DeclareLocal(member.Type);
            if (PrimitiveReader(member) is { } read)
            {
                il.Emit(OpCodes.Ldarg_1);
                il.Emit(OpCodes.Call, read);
            }
            else
            {
                var codecType = typeof(CdrCodec<>).MakeGenericType(member.Type);
                EmitLoadCodec(il, i, codecType);
                il.Emit(OpCodes.Ldarg_1);
                il.Emit(OpCodes.Callvirt, codecType.GetMethod(nameof(CdrCodec<int>.Read))!);
            }

            il.Emit(OpCodes.Stloc, locals[i]);
        }

        var result = il.DeclareLocal(typeof(T));
        var viaConstructor = new HashSet<LayoutMember>(_layout.ConstructorArguments);
        if (typeof(T).IsValueType)
        {
            il.Emit(OpCodes.Ldloca, result);
            if (_layout.Constructor is { } constructor && _layout.ConstructorArguments.Count > 0)
            {
                foreach (var argument in _layout.ConstructorArguments)
                {
                    il.Emit(OpCodes.Ldloc, locals[IndexOf(argument)]);
                }

                il.Emit(OpCodes.Call, constructor);
            }
            else
            {
                il.Emit(OpCodes.Initobj, typeof(T));
            }
        }
        else
        {
            foreach (var argument in _layout.ConstructorArguments)
            {
                il.Emit(OpCodes.Ldloc, locals[IndexOf(argument)]);
            }

            il.Emit(OpCodes.Newobj, _layout.Constructor!);
            il.Emit(OpCodes.Stloc, result);
        }

        for (var i = 0; i < _layout.Members.Count; i++)
        {
            var member = _layout.Members[i];
            if (viaConstructor.Contains(member))
            {
                continue;
            }

            il.Emit(typeof(T).IsValueType ? OpCodes.Ldloca : OpCodes.Ldloc, result);
            il.Emit(OpCodes.Ldloc, locals[i]);
            if (member.Member is FieldInfo field)
            {
                il.Emit(OpCodes.Stfld, field);
            }
            else
            {
                var setter = ((PropertyInfo)member.Member).SetMethod!;
                il.Emit(typeof(T).IsValueType ? OpCodes.Call : OpCodes.Callvirt, setter);
            }
        }

        il.Emit(OpCodes.Ldloc, result);
        il.Emit(OpCodes.Ret);
        return (ReadFn)method.CreateDelegate(typeof(ReadFn), codecs);
    }

    private int IndexOf(LayoutMember member)
    {
        for (var i = 0; i < _layout.Members.Count; i++)
        {
            if (ReferenceEquals(_layout.Members[i], member))
            {
                return i;
            }
        }

        throw new InvalidOperationException("Constructor argument is not a member.");
    }

    private static void EmitLoadCodec(ILGenerator il, int index, Type codecType)
    {
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldc_I4, index);
        il.Emit(OpCodes.Ldelem_Ref);
        il.Emit(OpCodes.Castclass, codecType);
    }

    private static void EmitLoadMember(ILGenerator il, LayoutMember member)
    {
        il.Emit(typeof(T).IsValueType ? OpCodes.Ldarga_S : OpCodes.Ldarg_S, (byte)2);
        if (member.Member is FieldInfo field)
        {
            il.Emit(OpCodes.Ldfld, field);
        }
        else
        {
            var getter = ((PropertyInfo)member.Member).GetMethod!;
            il.Emit(typeof(T).IsValueType ? OpCodes.Call : OpCodes.Callvirt, getter);
        }
    }

    private static MethodInfo? PrimitiveWriter(LayoutMember member) => member.Type switch
    {
        var t when t == typeof(bool) => Method(typeof(CdrWriter), nameof(CdrWriter.WriteBoolean)),
        var t when t == typeof(byte) => Method(typeof(CdrWriter), nameof(CdrWriter.WriteOctet)),
        var t when t == typeof(char) => Method(typeof(CdrWriter), member.Options.Narrow ? nameof(CdrWriter.WriteChar) : nameof(CdrWriter.WriteWChar)),
        var t when t == typeof(short) => Method(typeof(CdrWriter), nameof(CdrWriter.WriteShort)),
        var t when t == typeof(ushort) => Method(typeof(CdrWriter), nameof(CdrWriter.WriteUShort)),
        var t when t == typeof(int) => Method(typeof(CdrWriter), nameof(CdrWriter.WriteLong)),
        var t when t == typeof(uint) => Method(typeof(CdrWriter), nameof(CdrWriter.WriteULong)),
        var t when t == typeof(long) => Method(typeof(CdrWriter), nameof(CdrWriter.WriteLongLong)),
        var t when t == typeof(ulong) => Method(typeof(CdrWriter), nameof(CdrWriter.WriteULongLong)),
        var t when t == typeof(float) => Method(typeof(CdrWriter), nameof(CdrWriter.WriteFloat)),
        var t when t == typeof(double) => Method(typeof(CdrWriter), nameof(CdrWriter.WriteDouble)),
        var t when t == typeof(string) && member.Options is { Wide: false, NullAsEmpty: false } => typeof(StructCodec<T>).GetMethod(nameof(WriteNarrowString), BindingFlags.NonPublic | BindingFlags.Static)!,
        _ => null,
    };

    private static MethodInfo? PrimitiveReader(LayoutMember member) => member.Type switch
    {
        var t when t == typeof(bool) => Method(typeof(CdrReader), nameof(CdrReader.ReadBoolean)),
        var t when t == typeof(byte) => Method(typeof(CdrReader), nameof(CdrReader.ReadOctet)),
        var t when t == typeof(char) => Method(typeof(CdrReader), member.Options.Narrow ? nameof(CdrReader.ReadChar) : nameof(CdrReader.ReadWChar)),
        var t when t == typeof(short) => Method(typeof(CdrReader), nameof(CdrReader.ReadShort)),
        var t when t == typeof(ushort) => Method(typeof(CdrReader), nameof(CdrReader.ReadUShort)),
        var t when t == typeof(int) => Method(typeof(CdrReader), nameof(CdrReader.ReadLong)),
        var t when t == typeof(uint) => Method(typeof(CdrReader), nameof(CdrReader.ReadULong)),
        var t when t == typeof(long) => Method(typeof(CdrReader), nameof(CdrReader.ReadLongLong)),
        var t when t == typeof(ulong) => Method(typeof(CdrReader), nameof(CdrReader.ReadULongLong)),
        var t when t == typeof(float) => Method(typeof(CdrReader), nameof(CdrReader.ReadFloat)),
        var t when t == typeof(double) => Method(typeof(CdrReader), nameof(CdrReader.ReadDouble)),
        var t when t == typeof(string) && !member.Options.Wide => Method(typeof(CdrReader), nameof(CdrReader.ReadString)),
        _ => null,
    };

    /// <summary>A plain string member, called straight from the compiled writer (no codec dispatch).</summary>
    private static void WriteNarrowString(ref CdrWriter writer, string value)
    {
        if (value is null)
        {
            throw new MarshallingException(MarshallingError.UnrepresentableValue, "CDR has no null string; mark the member [CdrNullAsEmpty] to send null as an empty string.");
        }

        writer.WriteString(value);
    }

    private static MethodInfo Method(Type type, string name) => type.GetMethod(name, BindingFlags.Public | BindingFlags.Instance)!;
}
