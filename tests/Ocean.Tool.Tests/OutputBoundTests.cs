using System.Text;

namespace Ocean.Tool.Tests;

/// <summary>The JSON a decode writes is bounded too, not only the bytes it reads.</summary>
public sealed class OutputBoundTests
{
    [Fact]
    public async Task A_small_input_that_asks_for_a_huge_json_text_exits_one_at_64_mib()
    {
        // 62 structs around 32 nested sequences: every octet at the bottom is a line of some 200 bytes of indentation,
        // so 400 KB of CDR would be some 80 MB of JSON (a few MB of CDR, gigabytes: the review found 1.2 MB ran out of memory).
        var spec = new StringBuilder("struct S0 { " + string.Concat(Enumerable.Repeat("sequence<", 32)) + "octet" + new string('>', 32) + " v; }; ");
        for (var i = 1; i < 62; i++)
        {
            spec.Append($"struct S{i} {{ S{i - 1} a; }}; ");
        }

        spec.Append("S61");
        const int Octets = 400_000;
        var hex = new StringBuilder(string.Concat(Enumerable.Repeat("00000001 ", 31)));
        hex.Append(Octets.ToString("x8", System.Globalization.CultureInfo.InvariantCulture)).Append(' ');
        hex.Append('0', Octets * 2);

        await using var tool = ToolProcess.Start("cdr", "decode", spec.ToString(), "-");
        await tool.StandardInput.WriteAsync(hex.ToString());
        tool.StandardInput.Close();

        (await tool.WaitForExitAsync(TimeSpan.FromSeconds(60))).Should().Be(1);
        tool.StandardOutput.Should().BeEmpty();
        tool.StandardError.Should().ContainSingle().Which.Should().StartWith("error: ").And.Contain("would take more than 64 MiB");
    }
}
