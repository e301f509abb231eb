using System.Collections;
using System.Reflection;

namespace Ocean.Marshalling.Tests;

/// <summary>Seeded random graphs with shared references and cycles come back isomorphic: same shape, same values.</summary>
public sealed class GraphRandomGraphTests
{
    private static readonly GraphMarshaller s_marshaller = GraphRegistries.Marshaller(new GraphMarshallerOptions { MaxDepth = 2_000 });

    public static TheoryData<int> Seeds => [.. Enumerable.Range(1, 200)];

    [Theory]
    [MemberData(nameof(Seeds))]
    public void RoundTrip_RandomGraph_IsIsomorphic(int seed)
    {
        var root = RandomGraph(new Random(seed), out var nodes);

        var read = s_marshaller.RoundTrip(root);

        Isomorphism.Check(root, read).Should().BeNull();
        Isomorphism.CountObjects(read).Should().Be(Isomorphism.CountObjects(root), "{0} nodes were generated", nodes);
    }

    [Fact]
    public void Isomorphism_DetectsALostShare()
    {
        var shared = new GraphNode { Id = 1 };
        var original = new GraphNode { Left = shared, Right = shared };
        var copy = new GraphNode { Left = new GraphNode { Id = 1 }, Right = new GraphNode { Id = 1 } };

        Isomorphism.Check(original, copy).Should().NotBeNull();
        Isomorphism.Check(original, new GraphNode { Left = shared, Right = shared }).Should().BeNull();
    }

    /// <summary>A graph of 1 to 80 nodes whose references (members, lists, arrays, dictionaries) point anywhere, cycles included.</summary>
    public static GraphNode RandomGraph(Random random, out int count)
    {
        count = random.Next(1, 80);
        var nodes = Enumerable.Range(0, count).Select(i => new GraphNode { Id = random.Next(), Label = random.Next(4) == 0 ? null : $"n{i}\u00E9" }).ToList();
        var leaves = Enumerable.Range(0, 1 + random.Next(4)).Select(i => new GraphLeaf($"leaf{i}", random.Next())).ToList();
        var shapes = new List<GraphShape> { new GraphCircle { Name = "c", Radius = random.NextDouble() }, new GraphSquare { Name = "s", Side = random.Next(), Color = GraphColor.Blue } };
        var lists = new List<List<GraphNode?>>();
        GraphNode? Pick() => random.Next(5) == 0 ? null : nodes[random.Next(nodes.Count)];
        foreach (var node in nodes)
        {
            node.Left = Pick();
            node.Right = Pick();
            if (random.Next(3) == 0)
            {
                node.Leaf = leaves[random.Next(leaves.Count)];
            }

            if (random.Next(3) == 0)
            {
                node.Shape = shapes[random.Next(shapes.Count)];
            }

            if (random.Next(3) == 0)
            {
                // Sometimes a list shared with another node.
                if (lists.Count > 0 && random.Next(2) == 0)
                {
                    node.Children = lists[random.Next(lists.Count)];
                }
                else
                {
                    node.Children = [.. Enumerable.Range(0, random.Next(5)).Select(_ => Pick())];
                    lists.Add(node.Children);
                }
            }

            if (random.Next(4) == 0)
            {
                node.Array = [.. Enumerable.Range(0, random.Next(4)).Select(_ => Pick())];
            }

            if (random.Next(5) == 0)
            {
                node.Named = Enumerable.Range(0, random.Next(4)).ToDictionary(i => $"k{i}", _ => Pick());
            }
        }

        return nodes[0];
    }
}

/// <summary>
/// Compares two object graphs by shape: a bijection between the objects of each (built as the walk goes) must map
/// every reference in one to the corresponding reference in the other, and values must be equal.
/// </summary>
internal static class Isomorphism
{
    /// <summary>Null when isomorphic, else where they differ.</summary>
    public static string? Check(object? expected, object? actual)
    {
        var forward = new Dictionary<object, object>(ReferenceEqualityComparer.Instance);
        var backward = new Dictionary<object, object>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<(object? Expected, object? Actual, string Path)>();
        pending.Push((expected, actual, "root"));
        while (pending.Count > 0)
        {
            var (e, a, path) = pending.Pop();
            if (e is null || a is null)
            {
                if (e is not null || a is not null)
                {
                    return $"{path}: one side is null";
                }

                continue;
            }

            if (e.GetType() != a.GetType())
            {
                return $"{path}: {e.GetType().Name} vs {a.GetType().Name}";
            }

            if (IsValue(e.GetType()))
            {
                if (!Equals(e, a))
                {
                    return $"{path}: {e} vs {a}";
                }

                continue;
            }

            if (forward.TryGetValue(e, out var mapped) || backward.ContainsKey(a))
            {
                if (!ReferenceEquals(mapped, a))
                {
                    return $"{path}: the reference structure differs";
                }

                continue;
            }

            forward[e] = a;
            backward[a] = e;
            switch (e)
            {
                case IDictionary dictionary:
                    var other = (IDictionary)a;
                    if (dictionary.Count != other.Count)
                    {
                        return $"{path}: {dictionary.Count} vs {other.Count} entries";
                    }

                    foreach (DictionaryEntry entry in dictionary)
                    {
                        if (!other.Contains(entry.Key))
                        {
                            return $"{path}: key {entry.Key} is missing";
                        }

                        pending.Push((entry.Value, other[entry.Key], $"{path}[{entry.Key}]"));
                    }

                    break;
                case IList list:
                    var otherList = (IList)a;
                    if (list.Count != otherList.Count)
                    {
                        return $"{path}: {list.Count} vs {otherList.Count} elements";
                    }

                    for (var i = 0; i < list.Count; i++)
                    {
                        pending.Push((list[i], otherList[i], $"{path}[{i}]"));
                    }

                    break;
                default:
                    foreach (var property in e.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetIndexParameters().Length == 0))
                    {
                        pending.Push((property.GetValue(e), property.GetValue(a), $"{path}.{property.Name}"));
                    }

                    foreach (var field in e.GetType().GetFields(BindingFlags.Public | BindingFlags.Instance))
                    {
                        pending.Push((field.GetValue(e), field.GetValue(a), $"{path}.{field.Name}"));
                    }

                    break;
            }
        }

        return null;
    }

    /// <summary>How many distinct reference objects (not strings) a graph holds.</summary>
    public static int CountObjects(object root)
    {
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<object?>([root]);
        while (pending.Count > 0)
        {
            var value = pending.Pop();
            if (value is null || IsValue(value.GetType()) || !seen.Add(value))
            {
                continue;
            }

            IEnumerable<object?> children = value switch
            {
                IDictionary d => d.Values.Cast<object?>(),
                IList l => l.Cast<object?>(),
                _ => value.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetIndexParameters().Length == 0).Select(p => p.GetValue(value))
                    .Concat(value.GetType().GetFields(BindingFlags.Public | BindingFlags.Instance).Select(f => f.GetValue(value))),
            };
            foreach (var child in children)
            {
                pending.Push(child);
            }
        }

        return seen.Count;
    }

    private static bool IsValue(Type type) => type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type.IsValueType;
}
