using System.Globalization;
using System.Net;
using Ocean.Framing;
using Ocean.Remoting;
using Ocean.Transport;

namespace Ocean.Samples;

/// <summary>
/// The client's <c>--udp</c> run: the same proxy, calls over UDP (one request per datagram, retransmitted until the reply
/// comes; the server filters the copies, so each call runs at most once). With <c>--loss P</c> the client's own
/// datagrams pass through a seeded <see cref="FaultInjectingConnection"/> that drops P of them each way.
/// </summary>
internal static class UdpCalls
{
    public static async Task<int> RunAsync(SampleArgs options)
    {
        var loss = Number(options, "--loss", 0.0, 0.0, 0.9, double.TryParse, "a number from 0 to 0.9 (the share of datagrams dropped each way, 0.3 for 30%)");
        var seed = Number(options, "--seed", 1, 0, int.MaxValue, int.TryParse, "a whole number from 0 to 2147483647");
        var calls = Number(options, "--calls", 20, 1, 10_000, int.TryParse, "a whole number from 1 to 10000");
        var endPoint = await ResolveAsync(options.Host, options.Port(7000));
        var clientOptions = new RemotingClientOptions
        {
            // At 30% loss each way an attempt gets through (request and reply) with probability 0.7 x 0.7 = 0.49, so it
            // fails with 0.51, and all 10 attempts with 0.51^10 ~ 0.1% per call. The first retransmission comes after
            // 100 ms, then 200, 400, 800 ms and 1 s each: about 7.5 s before a call gives up, within its deadline.
            RetransmitInterval = TimeSpan.FromMilliseconds(100),
            MaxRetransmitInterval = TimeSpan.FromSeconds(1),
            MaxAttempts = 10,
            DefaultDeadline = TimeSpan.FromSeconds(10),
        };

        RemotingClient client;
        FaultInjectingConnection? lossy = null;
        if (options.Flag("--loss"))
        {
            // A connected UDP message connection, wrapped: RemotingClient sees an unreliable connection and calls over datagrams.
            var udp = MessageConnection.Create(await DatagramSocket.ConnectAsync(endPoint));
            lossy = new FaultInjectingConnection(udp, new FaultInjectionOptions
            {
                Seed = seed,
                Outgoing = new FaultRates { Drop = loss },
                Incoming = new FaultRates { Drop = loss },
            });
            Console.WriteLine($"injecting {loss.ToString(CultureInfo.InvariantCulture)} loss each way (seed {seed})");
            client = await RemotingClient.ConnectAsync(lossy, clientOptions); // owns lossy, and lossy owns udp
        }
        else
        {
            client = await RemotingClient.ConnectUdpAsync(endPoint, clientOptions);
        }

        await using (client)
        {
            var calculator = client.GetProxy<ICalculator>("calculator");
            var helloRetransmissions = client.Retransmissions; // the hello, which fetched the server's token, is retransmitted like a call
            Console.WriteLine($"connected to {endPoint} over UDP" + (helloRetransmissions == 0 ? string.Empty : $" after {Times(helloRetransmissions)}"));
            var unexpected = new List<string>();
            var made = 0;

            // Sequential calls: the difference in client.Retransmissions around each is that call's own.
            for (var i = 1; i <= calls; i++)
            {
                var (sum, failure, retransmitted) = await Measure(client, () => calculator.AddAsync(i, i));
                made++;
                if (failure is null)
                {
                    Console.WriteLine($"AddAsync({i}, {i}) = {sum} after {Times(retransmitted)}");
                    Expect(sum == 2 * i, $"AddAsync({i}, {i}) should be {2 * i}, not {sum}");
                }
                else
                {
                    Console.WriteLine($"AddAsync({i}, {i}) failed after {Times(retransmitted)}: {Describe(failure)}");
                    unexpected.Add($"AddAsync({i}, {i}) failed: {Describe(failure)}");
                }
            }

            var text = options.Message ?? "Hello, Ocean";
            var (echoed, echoFailure, echoRetransmitted) = await Measure(client, () => calculator.EchoAsync(text));
            made++;
            Console.WriteLine(echoFailure is null
                ? $"EchoAsync(\"{text}\") = \"{echoed}\" after {Times(echoRetransmitted)}"
                : $"EchoAsync(\"{text}\") failed after {Times(echoRetransmitted)}: {Describe(echoFailure)}");
            Expect(echoFailure is null && echoed == text, echoFailure is null ? "EchoAsync should return its argument" : $"EchoAsync failed: {Describe(echoFailure)}");

            // The server's exception comes back as over TCP: completion yes, the method ran (once: copies were filtered).
            var (_, divide, divideRetransmitted) = await Measure(client, () => calculator.DivideAsync(1, 0));
            made++;
            Console.WriteLine(divide is null
                ? $"DivideAsync(1, 0) unexpectedly returned after {Times(divideRetransmitted)}"
                : $"DivideAsync(1, 0) after {Times(divideRetransmitted)}: {Describe(divide)}");
            Expect(divide is { Status: RemotingStatus.ApplicationException, Completion: CompletionStatus.Yes, RemoteTypeName: "System.DivideByZeroException" },
                "DivideAsync(1, 0) should fail with the server's DivideByZeroException" + (divide is null ? string.Empty : $", not {Describe(divide)}"));

            var total = client.Retransmissions - helloRetransmissions;
            var summary = $"summary: {made} calls, {total} retransmissions in all";
            if (lossy is not null)
            {
                var s = lossy.Statistics;
                summary += $"; the injector dropped {s.SentDropped} of {s.Sent} datagrams sent and {s.ReceivedDropped} of {s.Received} received";
            }

            Console.WriteLine(summary);
            if (unexpected.Count != 0)
            {
                Console.Error.WriteLine($"error: {string.Join("; ", unexpected)}");
                return 1;
            }

            Console.WriteLine("every call behaved as expected");
            return 0;

            void Expect(bool condition, string what)
            {
                if (!condition)
                {
                    unexpected.Add(what);
                }
            }
        }
    }

    // Runs one call; returns its result or the RemotingException it failed with, and how many retransmissions it took.
    private static async Task<(T? Result, RemotingException? Failure, long Retransmitted)> Measure<T>(RemotingClient client, Func<Task<T>> call)
    {
        var before = client.Retransmissions;
        try
        {
            var result = await call();
            return (result, null, client.Retransmissions - before);
        }
        catch (RemotingException ex)
        {
            return (default, ex, client.Retransmissions - before);
        }
    }

    private static string Times(long retransmissions) => retransmissions == 1 ? "1 retransmission" : $"{retransmissions} retransmissions";

    // "Unavailable, completion Maybe, ...": maybe is what a call that ran out of attempts ends with (it may have run).
    private static string Describe(RemotingException failure)
    {
        var message = failure.Message;
        var remote = string.Empty;
        if (failure.RemoteTypeName is { } type)
        {
            remote = $", remote type {type}";
            message = message.StartsWith(type + ": ", StringComparison.Ordinal) ? message[(type.Length + 2)..] : message;
        }

        return $"status {failure.Status}, completion {failure.Completion}{remote}, message \"{message}\"";
    }

    private delegate bool TryParse<T>(string text, NumberStyles style, IFormatProvider provider, out T value);

    // The option's value, which must lie in [min, max]; fallback when it is not given; else an ArgumentException naming it.
    private static T Number<T>(SampleArgs options, string name, T fallback, T min, T max, TryParse<T> parse, string what)
        where T : struct, IComparable<T>
    {
        var text = options.Get(name);
        if (text is null)
        {
            return fallback;
        }

        var style = typeof(T) == typeof(double) ? NumberStyles.AllowDecimalPoint : NumberStyles.None;
        return parse(text, style, CultureInfo.InvariantCulture, out var value) && value.CompareTo(min) >= 0 && value.CompareTo(max) <= 0
            ? value
            : throw new ArgumentException($"{name} must be {what}, not '{text}'.");
    }

    private static async Task<IPEndPoint> ResolveAsync(string host, int port)
    {
        if (IPAddress.TryParse(host, out var address))
        {
            return new IPEndPoint(address, port);
        }

        var addresses = await Dns.GetHostAddressesAsync(host);
        return addresses.Length != 0
            ? new IPEndPoint(addresses[0], port)
            : throw new ArgumentException($"--host '{host}' has no address.");
    }
}
