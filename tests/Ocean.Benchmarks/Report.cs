using System.Text;

namespace Ocean.Benchmarks;

internal static class Report
{
    /// <summary>One markdown table of every case and variant, ratios against each case's baseline.</summary>
    public static string Markdown(IReadOnlyList<CaseResult> results)
    {
        var text = new StringBuilder();
        text.AppendLine("| Scenario | Case | Variant | Median ops/s | Min ops/s | Max ops/s | Ratio vs baseline | Per-round ratio, median (min-max) | Allocated B/op (process) |");
        text.AppendLine("|---|---|---|---:|---:|---:|---:|---:|---:|");
        foreach (var result in results)
        {
            foreach (var variant in result.Variants)
            {
                var ratio = variant.Name == result.Case.Baseline ? "1.00x (baseline)" : Format.Ratio(result.Ratio(variant));
                text.Append("| ").Append(result.ScenarioName)
                    .Append(" | ").Append(result.Case.Name).Append(" (").Append(result.Case.Unit).Append("/s)")
                    .Append(" | ").Append(variant.Name)
                    .Append(" | ").Append(Format.Rate(variant.Median))
                    .Append(" | ").Append(Format.Rate(variant.Min))
                    .Append(" | ").Append(Format.Rate(variant.Max))
                    .Append(" | ").Append(ratio)
                    .Append(" | ").Append(variant.Name == result.Case.Baseline ? "-" : Format.RatioRange(result.PerRoundRatio(variant)))
                    .Append(" | ").Append(Format.Bytes(variant.AllocatedBytesPerOp))
                    .AppendLine(" |");
            }
        }

        return text.ToString();
    }
}
