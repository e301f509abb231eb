// The remote Transcript of the Pharo OCEAN lecture, client side: registers its own transcript object with
// TranscriptServer (passed by reference: the server calls it back over this client's connection, and it prints each
// line it is shown as "[transcript] sender: text"), sends its message, waits until that line comes back through its
// transcript, optionally stays registered for --wait seconds to show what other clients send (Ctrl+C ends the wait),
// then prints the lines every client sent and unregisters.
// Usage: dotnet run --project samples/TranscriptClient -- [--host 127.0.0.1] [--port 7001] [--message "Hello, Ocean"]
//        [--name client-PID] [--wait SECONDS]
// Exits 0 when its line came back and it unregistered, 1 with a one-line error otherwise.
using System.Globalization;
using System.Net;
using Ocean.Remoting;
using Ocean.Samples;

try
{
    var options = SampleArgs.Parse(args, "--host=", "--port=", "--message=", "--name=", "--wait=");
    var port = options.Port(7001);
    EndPoint endPoint = IPAddress.TryParse(options.Host, out var address) ? new IPEndPoint(address, port) : new DnsEndPoint(options.Host, port);
    var name = options.Get("--name") ?? $"client-{Environment.ProcessId}";
    var text = options.Message ?? "Hello, Ocean";
    var waitText = options.Get("--wait") ?? "0";
    if (!double.TryParse(waitText, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var waitSeconds) || !(waitSeconds <= 86_400)) // NaN too
    {
        throw new ArgumentException($"--wait must be a number of seconds from 0 to 86400, not '{waitText}'.");
    }

    var stop = Shutdown.OnCtrlC(); // during --wait, Ctrl+C ends the wait: the client still unregisters and exits 0
    var clientOptions = new RemotingClientOptions
    {
        ConnectTimeout = TimeSpan.FromSeconds(10),
        DefaultDeadline = TimeSpan.FromSeconds(10), // every call is bounded, whatever the server does
    };
    await using var client = await RemotingClient.ConnectAsync(endPoint, clientOptions);
    var server = client.GetProxy<ITranscriptServer>(ITranscriptServer.ExportName);
    var transcript = new PrintingTranscript(line => Console.WriteLine($"[transcript] {line}"));

    // The transcript travels by reference: the server gets a proxy, and its calls on it arrive here.
    var registration = await server.RegisterAsync(name, transcript);
    Console.WriteLine($"registered as {name} (#{registration}) with {endPoint}");

    try
    {
        var shown = transcript.Expect(name, text);
        await server.SendAsync(name, text);
        Console.WriteLine($"sent \"{text}\"");
        if (!await shown.WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(t => t.IsCompletedSuccessfully, TaskScheduler.Default))
        {
            throw new TimeoutException("the line sent did not come back through this client's transcript within 5 s");
        }

        if (waitSeconds > 0)
        {
            Console.WriteLine($"staying registered for {waitSeconds.ToString(CultureInfo.InvariantCulture)} s (Ctrl+C to stop waiting)");
            await Task.Delay(TimeSpan.FromSeconds(waitSeconds), stop).ContinueWith(_ => { }, TaskScheduler.Default);
        }

        var lines = await server.LinesAsync();
        Console.WriteLine($"lines every client sent ({lines.Length}):");
        foreach (var line in lines)
        {
            Console.WriteLine($"  {line}");
        }

        if (!await server.UnregisterAsync(registration))
        {
            throw new InvalidOperationException("the server had dropped this client's transcript");
        }

        Console.WriteLine($"unregistered; this transcript showed {transcript.Count} {(transcript.Count == 1 ? "line" : "lines")}");
        return 0;
    }
    catch (Exception ex) when (ex is not InvalidOperationException)
    {
        // Failed while registered (the server refused the line, say): do not leave the transcript behind.
        await server.UnregisterAsync(registration).ContinueWith(_ => { }, TaskScheduler.Default);
        throw;
    }
}
catch (Exception ex) when (ex is RemotingException or ArgumentException or TimeoutException or InvalidOperationException)
{
    // A refusal by the server (a name or line it does not take) says its message once, without the remote type's name.
    Console.Error.WriteLine($"error: {(ex is RemotingException { RemoteMessage: { } remote } ? remote : ex.Message)}");
    return 1;
}
