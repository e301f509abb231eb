using System.Net.Sockets;
using System.Threading.Tasks.Sources;

namespace Ocean.Transport.Internal;

/// <summary>
/// One vectored send (a list of buffers in one system call) without allocating: a reusable
/// <see cref="SocketAsyncEventArgs"/> completing a reusable <see cref="IValueTaskSource{TResult}"/>.
/// <c>Socket.SendAsync(IList&lt;ArraySegment&lt;byte&gt;&gt;, SocketFlags)</c> returns a new <see cref="Task{TResult}"/> per call.
/// </summary>
/// <remarks>One send at a time (the connection's send loop); the continuation runs where the socket completes it.</remarks>
internal sealed class GatherSender : SocketAsyncEventArgs, IValueTaskSource<int>
{
    private ManualResetValueTaskSourceCore<int> _completion; // mutable struct: never readonly, never copied

    public GatherSender()
        : base(unsafeSuppressExecutionContextFlow: true)
    {
    }

    /// <summary>Sends <paramref name="buffers"/> in one call; completes with the bytes sent (possibly fewer than all).</summary>
    /// <exception cref="SocketException">The send failed.</exception>
    public ValueTask<int> SendAsync(Socket socket, IList<ArraySegment<byte>> buffers)
    {
        _completion.Reset();
        BufferList = buffers;
        if (socket.SendAsync(this))
        {
            return new ValueTask<int>(this, _completion.Version);
        }

        // Completed at once (the usual case): no continuation to run.
        var sent = Result();
        BufferList = null;
        return sent is { } error ? ValueTask.FromException<int>(error) : new ValueTask<int>(BytesTransferred);
    }

    int IValueTaskSource<int>.GetResult(short token)
    {
        try
        {
            return _completion.GetResult(token);
        }
        finally
        {
            BufferList = null;
        }
    }

    ValueTaskSourceStatus IValueTaskSource<int>.GetStatus(short token) => _completion.GetStatus(token);

    void IValueTaskSource<int>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _completion.OnCompleted(continuation, state, token, flags);

    protected override void OnCompleted(SocketAsyncEventArgs e)
    {
        if (Result() is { } error)
        {
            _completion.SetException(error);
        }
        else
        {
            _completion.SetResult(BytesTransferred);
        }
    }

    /// <summary>The failure of the operation that just completed, or <see langword="null"/>.</summary>
    private SocketException? Result() => SocketError == SocketError.Success ? null : new SocketException((int)SocketError);
}
