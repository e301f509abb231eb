using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Logging;
using Ocean.Marshalling;
using Ocean.Remoting.Protocol;

namespace Ocean.Remoting.Internal;

/// <summary>What one side brings to each of its connections (a server's exports and limits, a client's call settings).</summary>
[RequiresDynamicCode(DynamicCodeMessages.Proxies)]
[RequiresUnreferencedCode(DynamicCodeMessages.Unreferenced)]
internal sealed class ConnectionSettings
{
    public required IMarshaller Marshaller { get; init; }

    public required MarshallerId MarshallerId { get; init; }

    /// <summary>The largest message this side reads, announced in its preamble (the 4-byte prefix excluded).</summary>
    public required int MaxFrameLength { get; init; }

    /// <summary>How many calls from the peer run at once (announced); 0 for a side that serves nothing.</summary>
    public required int MaxConcurrentCalls { get; init; }

    /// <summary>The side's objects: what requests from the peer reach, and where references are made and read.</summary>
    public required ObjectSpace Space { get; init; }

    public bool DetailedErrors { get; init; }

    /// <summary>Whether async methods start on the read loop (<see cref="RemotingServerOptions.InlineDispatch"/>).</summary>
    public bool InlineDispatch { get; init; }

    /// <summary>Whether a caller's continuation runs on the read loop (<see cref="RemotingClientOptions.InlineContinuations"/>).</summary>
    public bool InlineContinuations { get; init; }

    public IRemoteServerInterceptor[] ServerInterceptors { get; init; } = [];

    public IRemoteClientInterceptor[] ClientInterceptors { get; init; } = [];

    public TimeSpan? DefaultDeadline { get; init; }

    /// <summary>Remote exception types rethrown as themselves, by full name (client side).</summary>
    public ExceptionRethrower? Rethrower { get; init; }

    /// <summary>Idle time before a ping; <see cref="Timeout.InfiniteTimeSpan"/> for none (servers).</summary>
    public TimeSpan PingInterval { get; init; } = Timeout.InfiniteTimeSpan;

    public TimeSpan PingTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public ProtocolLimits Limits { get; init; } = ProtocolLimits.Default;

    public required ILogger Logger { get; init; }

    public required TimeProvider TimeProvider { get; init; }

    public Preamble Hello => Preamble.Hello(MarshallerId, (uint)MaxFrameLength, (uint)MaxConcurrentCalls);
}
