using static Ocean.Remoting.Tests.Naming.NamingFixtures;

namespace Ocean.Remoting.Tests.Naming;

/// <summary>The in-process registry: bind, rebind, unbind, lookup, list, the naming rules, the size limit, concurrency.</summary>
public sealed class NameRegistryTests
{
    [Fact]
    public void Bind_then_lookup_returns_the_reference_and_binding_twice_is_refused()
    {
        var registry = new NameRegistry();
        registry.Bind("bank/accounts", Reference(1));

        registry.TryLookup("bank/accounts", out var found).Should().BeTrue();
        found.Should().Be(Reference(1));
        registry.Count.Should().Be(1);

        // Even the same reference: bind means "this name is new".
        registry.Invoking(r => r.Bind("bank/accounts", Reference(1))).Should().Throw<NameAlreadyBoundException>()
            .WithMessage("*'bank/accounts' is already bound*");
        registry.Invoking(r => r.Bind("bank/accounts", Reference(2))).Should().Throw<NameAlreadyBoundException>();
        registry.TryLookup("bank/accounts", out found).Should().BeTrue();
        found.Should().Be(Reference(1), "a refused bind leaves the binding as it was");
    }

    [Fact]
    public void Names_are_case_sensitive_and_ordinal()
    {
        var registry = new NameRegistry();
        registry.Bind("Calc", Reference(1));
        registry.Bind("calc", Reference(2));

        registry.TryLookup("CALC", out _).Should().BeFalse();
        registry.TryLookup("calc", out var lower).Should().BeTrue();
        lower!.ObjectNumber.Should().Be(2);
    }

    [Fact]
    public void Rebind_replaces_and_returns_the_previous_reference()
    {
        var registry = new NameRegistry();

        registry.Rebind("calc", Reference(1)).Should().BeNull();
        registry.Rebind("calc", Reference(2)).Should().Be(Reference(1));
        registry.TryLookup("calc", out var found).Should().BeTrue();
        found.Should().Be(Reference(2));
        registry.Count.Should().Be(1);
    }

    [Fact]
    public void Unbind_removes_once_and_says_whether_the_name_was_bound()
    {
        var registry = new NameRegistry();
        registry.Bind("calc", Reference(1));

        registry.Unbind("calc").Should().BeTrue();
        registry.Unbind("calc").Should().BeFalse();
        registry.TryLookup("calc", out var found).Should().BeFalse();
        found.Should().BeNull();
        registry.Count.Should().Be(0);

        // The name is free again.
        registry.Bind("calc", Reference(3));
        registry.TryLookup("calc", out found).Should().BeTrue();
        found!.ObjectNumber.Should().Be(3);
    }

    [Fact]
    public async Task Resolve_answers_from_the_table_and_null_for_unknown_names()
    {
        var registry = new NameRegistry();
        registry.Bind("calc", Reference(7));

        (await registry.ResolveAsync("calc", CancellationToken.None)).Should().Be(Reference(7));
        (await registry.ResolveAsync("nothing", CancellationToken.None)).Should().BeNull();
    }

    [Fact]
    public void List_returns_every_name_in_ordinal_order_or_those_with_a_prefix()
    {
        var registry = new NameRegistry();
        foreach (var name in new[] { "b", "bank/z", "Bank/x", "bank/a", "bank", "a" })
        {
            registry.Bind(name, Reference(1));
        }

        registry.List().Should().Equal("Bank/x", "a", "b", "bank", "bank/a", "bank/z");
        registry.List("bank/").Should().Equal("bank/a", "bank/z");
        registry.List("bank").Should().Equal("bank", "bank/a", "bank/z");
        registry.List("zzz").Should().BeEmpty();

        // A snapshot: changing the registry afterwards does not change the array.
        var snapshot = registry.List();
        registry.Unbind("a");
        snapshot.Should().HaveCount(6);
        registry.List().Should().HaveCount(5);
    }

    [Theory]
    [InlineData("", "*empty*")]
    [InlineData("tab\there", "*control characters*U+0009*")]
    [InlineData("new\nline", "*control characters*U+000A*")]
    [InlineData("nul\0", "*control characters*U+0000*")]
    [InlineData("del\u007f", "*control characters*U+007F*")]
    [InlineData("c1\u0085", "*control characters*U+0085*")]
    public void Malformed_names_are_refused_with_a_message_saying_why(string name, string message)
    {
        var registry = new NameRegistry();

        registry.Invoking(r => r.Bind(name, Reference(1))).Should().Throw<ArgumentException>().WithMessage(message).Which.ParamName.Should().Be("name");
        registry.Invoking(r => r.Rebind(name, Reference(1))).Should().Throw<ArgumentException>().WithMessage(message);
        registry.Invoking(r => r.Unbind(name)).Should().Throw<ArgumentException>().WithMessage(message);
        registry.Invoking(r => r.TryLookup(name, out _)).Should().Throw<ArgumentException>().WithMessage(message);
        NameRegistry.IsValidName(name).Should().BeFalse();
        registry.Count.Should().Be(0);
    }

    [Fact]
    public void Unpaired_surrogates_are_refused_and_printed_escaped()
    {
        // Built here, not in [InlineData]: the test runner's serialization would replace a lone surrogate with U+FFFD.
        var registry = new NameRegistry();
        var lone = "lone" + '\ud800' + "surrogate";
        var trailing = "trailing" + '\udc00';

        registry.Invoking(r => r.Bind(lone, Reference(1))).Should().Throw<ArgumentException>()
            .WithMessage("*unpaired surrogate at index 4*").Which.Message.Should().Contain("lone\\uD800surrogate");
        registry.Invoking(r => r.Bind(trailing, Reference(1))).Should().Throw<ArgumentException>().WithMessage("*unpaired surrogate at index 8*");
        registry.Invoking(r => r.Bind("swapped" + '\udc00' + '\ud800', Reference(1))).Should().Throw<ArgumentException>();
        NameRegistry.IsValidName(lone).Should().BeFalse();
        NameRegistry.IsValidName("wave \U0001F30A").Should().BeTrue("a surrogate pair is one character");
        registry.Count.Should().Be(0);
    }

    [Fact]
    public void Messages_print_control_characters_escaped()
    {
        var registry = new NameRegistry();

        registry.Invoking(r => r.Bind("a\r\nb", Reference(1))).Should().Throw<ArgumentException>()
            .Which.Message.Should().Contain("a\\u000D\\u000Ab").And.NotContain("\r").And.NotContain("\n");
    }

    [Fact]
    public void A_name_takes_1_to_255_utf8_bytes()
    {
        var registry = new NameRegistry();
        var ascii255 = new string('a', 255);
        var ascii256 = new string('a', 256);
        var twoByte127 = new string('é', 127) + "x";    // 255 bytes in 128 characters
        var twoByte128 = new string('é', 128);          // 256 bytes in 128 characters
        var fourByte = string.Concat(Enumerable.Repeat("\U0001F30A", 64)); // 256 bytes in 128 UTF-16 characters

        registry.Bind("x", Reference(1));
        registry.Bind(ascii255, Reference(1));
        registry.Bind(twoByte127, Reference(1));
        registry.Bind(string.Concat(Enumerable.Repeat("\U0001F30A", 63)), Reference(1)); // 252 bytes
        registry.Count.Should().Be(4);

        registry.Invoking(r => r.Bind(ascii256, Reference(1))).Should().Throw<ArgumentException>().WithMessage("*1 to 255 UTF-8 bytes*");
        registry.Invoking(r => r.Bind(twoByte128, Reference(1))).Should().Throw<ArgumentException>().WithMessage("*takes 256*");
        registry.Invoking(r => r.Bind(fourByte, Reference(1))).Should().Throw<ArgumentException>().WithMessage("*takes 256*");
        registry.Invoking(r => r.Bind(new string('a', 100_000), Reference(1))).Should().Throw<ArgumentException>().WithMessage("*100000 characters*");
        NameRegistry.IsValidName(twoByte127).Should().BeTrue();
        NameRegistry.IsValidName(null).Should().BeFalse();
    }

    [Fact]
    public void Null_arguments_are_refused()
    {
        var registry = new NameRegistry();

        registry.Invoking(r => r.Bind(null!, Reference(1))).Should().Throw<ArgumentNullException>().Which.ParamName.Should().Be("name");
        registry.Invoking(r => r.Bind("calc", null!)).Should().Throw<ArgumentNullException>().Which.ParamName.Should().Be("reference");
        registry.Invoking(r => r.Rebind("calc", null!)).Should().Throw<ArgumentNullException>();
        registry.Invoking(r => r.List(null!)).Should().Throw<ArgumentNullException>();
    }

    [Fact]
    public void The_prefix_of_list_follows_the_naming_rules_except_that_it_may_be_empty()
    {
        var registry = new NameRegistry();

        registry.Invoking(r => r.List("a\nb")).Should().Throw<ArgumentException>().Which.ParamName.Should().Be("prefix");
        registry.Invoking(r => r.List(new string('a', 256))).Should().Throw<ArgumentException>();
        registry.List(string.Empty).Should().BeEmpty();
    }

    [Fact]
    public void The_registry_refuses_a_name_beyond_its_limit_but_still_rebinds_and_binds_after_an_unbind()
    {
        var registry = new NameRegistry(maxNames: 3);
        registry.MaxNames.Should().Be(3);
        registry.Bind("a", Reference(1));
        registry.Bind("b", Reference(2));
        registry.Rebind("c", Reference(3));

        registry.Invoking(r => r.Bind("d", Reference(4))).Should().Throw<InvalidOperationException>()
            .WithMessage("*full*limit of 3 names*").Which.Should().NotBeOfType<NameAlreadyBoundException>();
        registry.Invoking(r => r.Rebind("d", Reference(4))).Should().Throw<InvalidOperationException>().WithMessage("*full*");
        registry.Count.Should().Be(3);
        registry.TryLookup("d", out _).Should().BeFalse();

        // Replacing a bound name does not grow the registry.
        registry.Rebind("a", Reference(9)).Should().Be(Reference(1));
        registry.Count.Should().Be(3);

        registry.Unbind("b").Should().BeTrue();
        registry.Bind("d", Reference(4));
        registry.List().Should().Equal("a", "c", "d");
    }

    [Fact]
    public void The_default_limit_is_ten_thousand_and_the_limit_must_be_positive()
    {
        new NameRegistry().MaxNames.Should().Be(10_000);
        NameRegistry.DefaultMaxNames.Should().Be(10_000);
        FluentActions.Invoking(() => new NameRegistry(0)).Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public async Task Concurrent_binds_of_one_name_let_exactly_one_win()
    {
        var registry = new NameRegistry();
        const int Contenders = 16;
        using var start = new Barrier(Contenders);
        var wins = 0;
        var refusals = 0;

        var tasks = Enumerable.Range(0, Contenders).Select(i => Task.Factory.StartNew(
            () =>
            {
                start.SignalAndWait(TestTimeouts.Operation);
                try
                {
                    registry.Bind("contested", Reference((ulong)i));
                    Interlocked.Increment(ref wins);
                }
                catch (NameAlreadyBoundException)
                {
                    Interlocked.Increment(ref refusals);
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default)).ToArray();
        await Task.WhenAll(tasks).WithTimeout();

        wins.Should().Be(1);
        refusals.Should().Be(Contenders - 1);
        registry.Count.Should().Be(1);
    }

    [Fact]
    public async Task Concurrent_binds_never_exceed_the_limit_and_concurrent_readers_see_whole_bindings()
    {
        const int Limit = 500;
        const int Writers = 4;
        const int PerWriter = 300; // 1,200 attempts for 500 places
        var registry = new NameRegistry(Limit);
        var bound = 0;
        var full = 0;
        using var stop = new CancellationTokenSource();

        var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(() =>
        {
            for (var i = 0; i < PerWriter; i++)
            {
                var name = $"w{w}/n{i}";
                var reference = Reference((ulong)((w * PerWriter) + i));
                try
                {
                    registry.Bind(name, reference);
                    Interlocked.Increment(ref bound);

                    // Rebinding a bound name and unbinding an unbound one must not disturb the count.
                    registry.Rebind(name, reference).Should().Be(reference);
                }
                catch (InvalidOperationException e) when (e is not NameAlreadyBoundException)
                {
                    Interlocked.Increment(ref full);
                }

                registry.Unbind($"absent/{w}/{i}").Should().BeFalse();
            }
        })).ToArray();

        var readers = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            var reads = 0;
            do
            {
                foreach (var name in registry.List("w1/"))
                {
                    // Every listed name either resolves to its own reference or was never unbound: nothing is torn.
                    registry.TryLookup(name, out var reference).Should().BeTrue();
                    reference!.ObjectNumber.Should().Be((ulong)PerWriter + ulong.Parse(name.AsSpan(4), System.Globalization.CultureInfo.InvariantCulture));
                }

                registry.Count.Should().BeLessThanOrEqualTo(Limit);
                reads++;
            }
            while (!stop.IsCancellationRequested);

            return reads;
        })).ToArray();

        await Task.WhenAll(writers).WithTimeout(TestTimeouts.Load);
        await stop.CancelAsync();
        var readCounts = await Task.WhenAll(readers).WithTimeout(TestTimeouts.Load);

        (bound + full).Should().Be(Writers * PerWriter);
        bound.Should().Be(Limit);
        full.Should().Be((Writers * PerWriter) - Limit);
        registry.Count.Should().Be(Limit);
        registry.List().Should().HaveCount(Limit).And.OnlyHaveUniqueItems();
        readCounts.Should().OnlyContain(n => n > 0);
    }
}
