using System.Buffers.Binary;
using System.Text;
using System.Threading.Tasks.Sources;

namespace Ocean.Benchmarks.CrossProcess;

/// <summary>Where a <see cref="RawPendingCall"/> goes back once its awaiter has read the result.</summary>
internal interface IRawCallPool
{
    void Return(RawPendingCall call);
}

/// <summary>
/// One call's waiter of the raw rpc clients (TCP and UDP), reused: it goes back to its client's pool when its awaiter
/// has read the result. <see cref="Request"/> and <see cref="SentAt"/> are the UDP client's (its retransmissions).
/// </summary>
internal sealed class RawPendingCall(IRawCallPool owner) : IValueTaskSource<int>, IValueTaskSource<string>
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private ManualResetValueTaskSourceCore<int> _int;
    private ManualResetValueTaskSourceCore<string> _string;

    public byte[] Request { get; set; } = new byte[128];

    public byte Op { get; set; }

    public long SentAt { get; set; }

    public ValueTask<int> AsIntTask() => new(this, _int.Version);

    public ValueTask<string> AsStringTask() => new(this, _string.Version);

    /// <summary>Completes the call from its reply payload; false if the payload is malformed for its op.</summary>
    public bool Complete(ReadOnlySpan<byte> payload)
    {
        if (Op == RawRpcProtocol.OpAdd)
        {
            if (payload.Length != 4)
            {
                return false;
            }

            _int.SetResult(BinaryPrimitives.ReadInt32BigEndian(payload));
            return true;
        }

        if (payload.Length < 2 || payload.Length != 2 + BinaryPrimitives.ReadUInt16BigEndian(payload))
        {
            return false;
        }

        string text;
        try
        {
            text = StrictUtf8.GetString(payload[2..]);
        }
        catch (DecoderFallbackException)
        {
            return false;
        }

        _string.SetResult(text);
        return true;
    }

    public void Fail(Exception error)
    {
        if (Op == RawRpcProtocol.OpAdd)
        {
            _int.SetException(error);
        }
        else
        {
            _string.SetException(error);
        }
    }

    int IValueTaskSource<int>.GetResult(short token)
    {
        try
        {
            return _int.GetResult(token);
        }
        finally
        {
            _int.Reset();
            owner.Return(this);
        }
    }

    ValueTaskSourceStatus IValueTaskSource<int>.GetStatus(short token) => _int.GetStatus(token);

    void IValueTaskSource<int>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _int.OnCompleted(continuation, state, token, flags);

    string IValueTaskSource<string>.GetResult(short token)
    {
        try
        {
            return _string.GetResult(token);
        }
        finally
        {
            _string.Reset();
            owner.Return(this);
        }
    }

    ValueTaskSourceStatus IValueTaskSource<string>.GetStatus(short token) => _string.GetStatus(token);

    void IValueTaskSource<string>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _string.OnCompleted(continuation, state, token, flags);
}
