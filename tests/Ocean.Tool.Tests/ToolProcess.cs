using System.Diagnostics;
using System.Text.RegularExpressions;
using System.Threading.Channels;

namespace Ocean.Tool.Tests;

/// <summary>The ocean tool run as a process: its output lines as they come, its exit code, killed on dispose.</summary>
/// <remarks>
/// A test whose connect, call or names must succeed, or fail for a reason other than time, passes --timeout 30: the
/// tool's --timeout also bounds connecting, which a cold tool process (its code compiled as it first runs) on a loaded
/// 2-core machine was seen to take more than a second for.
/// </remarks>
internal sealed partial class ToolProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Channel<string> _stdout = Channel.CreateUnbounded<string>();
    private readonly List<string> _stdoutLines = [];
    private readonly List<string> _stderrLines = [];
    private readonly TaskCompletionSource _stdoutDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stderrDone = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ToolProcess(Process process) => _process = process;

    public static string ToolPath { get; } = FindTool();

    public int Id => _process.Id;

    public IReadOnlyList<string> StandardOutput
    {
        get
        {
            lock (_stdoutLines)
            {
                return [.. _stdoutLines];
            }
        }
    }

    public IReadOnlyList<string> StandardError
    {
        get
        {
            lock (_stderrLines)
            {
                return [.. _stderrLines];
            }
        }
    }

    public StreamWriter StandardInput => _process.StandardInput;

    public static ToolProcess Start(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(ToolPath);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        var process = new Process { StartInfo = info };
        var tool = new ToolProcess(process);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                tool._stdout.Writer.TryComplete();
                tool._stdoutDone.TrySetResult();
                return;
            }

            lock (tool._stdoutLines)
            {
                tool._stdoutLines.Add(e.Data);
            }

            tool._stdout.Writer.TryWrite(e.Data);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                tool._stderrDone.TrySetResult();
                return;
            }

            lock (tool._stderrLines)
            {
                tool._stderrLines.Add(e.Data);
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return tool;
    }

    /// <summary>Runs the tool to its end (bounded) and returns its exit code.</summary>
    public static async Task<(int ExitCode, IReadOnlyList<string> Output, IReadOnlyList<string> Error)> RunAsync(params string[] args)
    {
        await using var tool = Start(args);
        tool.StandardInput.Close();
        var code = await tool.WaitForExitAsync();
        return (code, tool.StandardOutput, tool.StandardError);
    }

    /// <summary>The next line of standard output (bounded).</summary>
    public async Task<string> ReadLineAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TestTimeouts.Operation);
        try
        {
            return await _stdout.Reader.ReadAsync(cts.Token);
        }
        catch (ChannelClosedException)
        {
            throw new InvalidOperationException("The tool ended its output. stderr: " + string.Join(" / ", StandardError));
        }
    }

    /// <summary>Waits for the "listening on HOST:PORT" line and returns the port.</summary>
    public async Task<int> ListeningPortAsync()
    {
        var line = await ReadLineAsync();
        var match = ListeningLine().Match(line);
        match.Success.Should().BeTrue($"the first line is \"listening on HOST:PORT\", not \"{line}\"");
        return int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Waits (bounded) for the process to end and its output to be read, and returns the exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan? timeout = null)
    {
        await _process.WaitForExitAsync().WaitAsync(timeout ?? TestTimeouts.Operation);
        await Task.WhenAll(_stdoutDone.Task, _stderrDone.Task).WaitAsync(TestTimeouts.Operation);
        return _process.ExitCode;
    }

    /// <summary>Sends SIGINT, as Ctrl+C does.</summary>
    /// <exception cref="InvalidOperationException">The tool ignores SIGINT, as it inherited, so the signal could not end it.</exception>
    public async Task InterruptAsync()
    {
        // A process started from a background job of a non-interactive shell inherits SIGINT ignored, and so does every
        // child, this tool included; say so at once rather than let the test time out waiting for an exit.
        if (IgnoresSigInt(_process.Id))
        {
            throw new InvalidOperationException(
                "The tool ignores SIGINT, a disposition inherited from the shell that started the tests (a background job of a non-interactive shell); run them in the foreground or under `set -m`.");
        }

        using var kill = Process.Start("kill", ["-INT", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync().WaitAsync(TestTimeouts.Operation);
    }

    // SigIgn in /proc/PID/status is a hex mask of ignored signals; SIGINT is signal 2, bit 1.
    private static bool IgnoresSigInt(int processId)
    {
        string? line;
        try
        {
            line = File.ReadLines($"/proc/{processId.ToString(System.Globalization.CultureInfo.InvariantCulture)}/status")
                .FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        }
        catch (IOException)
        {
            return false; // no /proc, or the process has gone: the signal's own outcome will tell
        }

        return line is not null
            && ulong.TryParse(line.AsSpan("SigIgn:".Length).Trim(), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture, out var mask)
            && (mask & 0x2) != 0;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(TestTimeouts.Operation);
            }
        }
        catch (InvalidOperationException)
        {
            // Never started, or already gone.
        }
        finally
        {
            _process.Dispose();
        }
    }

    private static string FindTool()
    {
        // This assembly is in tests/Ocean.Tool.Tests/bin/<Configuration>/<TFM>/; the tool in src/Ocean.Tool/bin/<Configuration>/<TFM>/.
        var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var tfm = here.Name;
        var configuration = here.Parent!.Name;
        for (var directory = here; directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Ocean.sln")))
            {
                var path = Path.Combine(directory.FullName, "src", "Ocean.Tool", "bin", configuration, tfm, "Ocean.Tool.dll");
                return File.Exists(path) ? path : throw new FileNotFoundException("The ocean tool is not built: " + path);
            }
        }

        throw new InvalidOperationException("Ocean.sln not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"^listening on .*:(\d+)$")]
    private static partial Regex ListeningLine();

    /// <summary>Waits (bounded) for a line of standard error that <paramref name="match"/> accepts, and returns it.</summary>
    public async Task<string> ErrorLineAsync(Func<string, bool> match, TimeSpan? timeout = null)
    {
        string? found = null;
        await TestTimeouts.UntilAsync(
            () => (found = StandardError.FirstOrDefault(match)) is not null || _stderrDone.Task.IsCompleted,
            timeout,
            "a matching line on the tool's standard error");
        return found ?? StandardError.FirstOrDefault(match) ?? throw new InvalidOperationException("The tool ended without that line on stderr: " + string.Join(" / ", StandardError));
    }

    /// <summary>Waits for the "joined GROUP:PORT on NIC" line of ocean multicast and returns the port.</summary>
    public async Task<int> JoinedPortAsync()
    {
        var line = await ReadLineAsync();
        var match = JoinedLine().Match(line);
        match.Success.Should().BeTrue($"the first line is \"joined GROUP:PORT on NIC\", not \"{line}\"");
        return int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"^joined .*:(\d+) on \S+$")]
    private static partial Regex JoinedLine();
}
