using System.Reflection;
using System.Reflection.Emit;
using Ocean.Remoting.Protocol;
using Ocean.Remoting.Tests.Golden;

namespace Ocean.Remoting.Tests.Golden
{
    public interface ICalculator
    {
        Task<int> AddAsync(int a, int b, CancellationToken cancellationToken = default);

        ValueTask<string> EchoAsync(string? text);

        void Reset();

        long Total { get; }

        double Sum(List<int> values, double? scale);

        Outer.Inner Lookup(Dictionary<string, int[]> map, int[,] grid, byte[][] jagged);
    }

    public sealed class Outer
    {
        public sealed class Inner
        {
        }
    }

    public interface IBase
    {
        Task PingAsync();
    }

    public interface IDerived : IBase
    {
        Task<int> CountAsync();
    }

    public interface IRepository<T>
    {
        Task<T> GetAsync(int id);
    }
}

namespace Ocean.Remoting.Tests
{
    public sealed class MethodIdTests
    {
        public static TheoryData<string, string, ulong> Golden() => new()
        {
            // Exact texts and ids, computed independently (Python hashlib.sha256, first 8 bytes): a change to the canonical
            // form or the hash fails here, and would silently break every deployed peer.
            { nameof(ICalculator.AddAsync), "Ocean.Remoting.Tests.Golden.ICalculator.AddAsync(System.Int32,System.Int32):System.Int32", 0x7459e1725408413fUL },
            { nameof(ICalculator.EchoAsync), "Ocean.Remoting.Tests.Golden.ICalculator.EchoAsync(System.String):System.String", 0x017bf9d92e866b1aUL },
            { nameof(ICalculator.Reset), "Ocean.Remoting.Tests.Golden.ICalculator.Reset():System.Void", 0xc1a661d4333dc606UL },
            { "get_Total", "Ocean.Remoting.Tests.Golden.ICalculator.get_Total():System.Int64", 0xe3110dcc37b007cbUL },
            { nameof(ICalculator.Sum), "Ocean.Remoting.Tests.Golden.ICalculator.Sum(System.Collections.Generic.List<System.Int32>,System.Nullable<System.Double>):System.Double", 0x00aa5eb5ecab1ca6UL },
            {
                nameof(ICalculator.Lookup),
                "Ocean.Remoting.Tests.Golden.ICalculator.Lookup(System.Collections.Generic.Dictionary<System.String,System.Int32[]>,System.Int32[,],System.Byte[][]):Ocean.Remoting.Tests.Golden.Outer+Inner",
                0xfe5140397a06b658UL
            },
        };

        [Theory]
        [MemberData(nameof(Golden))]
        public void CanonicalTextAndId_MatchTheCommittedGoldenValues(string method, string text, ulong id)
        {
            var info = typeof(ICalculator).GetMethod(method)!;

            MethodSignature.GetCanonicalText(info).Should().Be(text);
            MethodSignature.ComputeId(info).Should().Be(id);
        }

        [Fact]
        public void ComputeId_IsTheFirstEightBytesOfSha256BigEndian()
        {
            // The README's worked example.
            MethodSignature.ComputeId("Demo.ICalculator.AddAsync(System.Int32,System.Int32):System.Int32").Should().Be(0x07d20554fbeaee9bUL);
        }

        [Fact]
        public void CanonicalText_InheritedMethod_NamesTheDeclaringInterface()
        {
            var table = MethodIdTable.Create(typeof(IDerived));

            table.Count.Should().Be(2);
            var ping = typeof(IBase).GetMethod(nameof(IBase.PingAsync))!;
            table.Ids[ping].Should().Be(MethodSignature.ComputeId("Ocean.Remoting.Tests.Golden.IBase.PingAsync():System.Void"));
        }

        [Fact]
        public void CanonicalText_ClosedGenericInterface_SpellsItsArguments()
        {
            var method = typeof(IRepository<string>).GetMethod(nameof(IRepository<string>.GetAsync))!;

            MethodSignature.GetCanonicalText(method).Should().Be("Ocean.Remoting.Tests.Golden.IRepository<System.String>.GetAsync(System.Int32):System.String");
        }

        [Fact]
        public void CanonicalText_OpenGenericInterface_IsRefused()
        {
            var method = typeof(IRepository<>).GetMethod("GetAsync")!;

            var act = () => MethodSignature.GetCanonicalText(method);

            act.Should().Throw<NotSupportedException>();
        }

        private interface IRefused
        {
            void ByRef(ref int value);

            T Generic<T>(T value);
        }

        [Theory]
        [InlineData(nameof(IRefused.ByRef))]
        [InlineData(nameof(IRefused.Generic))]
        public void CanonicalText_ByRefOrGenericMethod_IsRefused(string method)
        {
            var act = () => MethodSignature.GetCanonicalText(typeof(IRefused).GetMethod(method)!);

            act.Should().Throw<NotSupportedException>();
        }

        private interface IClash
        {
            Task<int> FooAsync(int value);

            int FooAsync(int value, CancellationToken cancellationToken);
        }

        [Fact]
        public void Table_TwoMethodsWithTheSameCanonicalText_IsRefusedNamingBoth()
        {
            var act = () => MethodIdTable.Create(typeof(IClash));

            act.Should().Throw<InvalidOperationException>()
                .WithMessage("*FooAsync(System.Int32):System.Int32*FooAsync(System.Int32):System.Int32*same canonical signature*");
        }

        [Fact]
        public void Table_HashCollision_IsRefusedNamingBothMethods()
        {
            var act = () => MethodIdTable.Create(typeof(ICalculator), _ => 42);

            act.Should().Throw<InvalidOperationException>()
                .WithMessage("*ICalculator*have the same method id 0x000000000000002A*hash to the same id*");
        }

        [Fact]
        public void Table_FindsEveryMethodByItsId_AndNothingElse()
        {
            var table = MethodIdTable.Create(typeof(ICalculator));

            table.Count.Should().Be(6);
            table.TryGetMethod(0x7459e1725408413fUL, out var add).Should().BeTrue();
            add!.Name.Should().Be(nameof(ICalculator.AddAsync));
            table.TryGetMethod(0x7459e1725408413eUL, out _).Should().BeFalse();
        }

        [Fact]
        public void Ids_ReorderingAndAddingMethods_ChangeNoExistingId()
        {
            // Two builds of the same interface (same full name), in two assemblies: version 2 reorders the methods and
            // adds one. The ids of the methods both share are equal; the new one has its own.
            var v1 = EmitInterface("v1", ("Add", typeof(int), [typeof(int), typeof(int)]), ("Echo", typeof(string), [typeof(string)]));
            var v2 = EmitInterface("v2", ("Echo", typeof(string), [typeof(string)]), ("Negate", typeof(int), [typeof(int)]), ("Add", typeof(int), [typeof(int), typeof(int)]));

            var first = MethodIdTable.Create(v1).Ids.ToDictionary(p => p.Key.Name, p => p.Value);
            var second = MethodIdTable.Create(v2).Ids.ToDictionary(p => p.Key.Name, p => p.Value);

            v1.FullName.Should().Be(v2.FullName);
            second["Add"].Should().Be(first["Add"]);
            second["Echo"].Should().Be(first["Echo"]);
            second["Negate"].Should().NotBe(first["Add"]).And.NotBe(first["Echo"]);
            first["Add"].Should().Be(MethodSignature.ComputeId("Evolving.IService.Add(System.Int32,System.Int32):System.Int32"));
        }

        [Fact]
        public void Ids_TaskValueTaskAndSynchronousShapes_ShareTheResultType()
        {
            // The wire carries the result, not the awaitable: Task<int>, ValueTask<int> and int give one id.
            var asTask = EmitInterface("t", ("Get", typeof(Task<int>), []));
            var asValueTask = EmitInterface("vt", ("Get", typeof(ValueTask<int>), []));
            var sync = EmitInterface("s", ("Get", typeof(int), []));

            var ids = new[] { asTask, asValueTask, sync }.Select(t => MethodSignature.ComputeId(t.GetMethod("Get")!)).Distinct();

            ids.Should().ContainSingle().Which.Should().Be(MethodSignature.ComputeId("Evolving.IService.Get():System.Int32"));
        }

        private static Type EmitInterface(string assembly, params (string Name, Type Return, Type[] Parameters)[] methods)
        {
            var builder = AssemblyBuilder.DefineDynamicAssembly(new AssemblyName("Ocean.Remoting.Tests.Emitted." + assembly), AssemblyBuilderAccess.Run);
            var module = builder.DefineDynamicModule("main");
            var type = module.DefineType("Evolving.IService", TypeAttributes.Public | TypeAttributes.Interface | TypeAttributes.Abstract);
            foreach (var (name, returnType, parameters) in methods)
            {
                type.DefineMethod(name, MethodAttributes.Public | MethodAttributes.Abstract | MethodAttributes.Virtual | MethodAttributes.HideBySig | MethodAttributes.NewSlot, returnType, parameters);
            }

            return type.CreateType();
        }
    }
}
