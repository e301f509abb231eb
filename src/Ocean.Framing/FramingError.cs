namespace Ocean.Framing;

/// <summary>What was wrong with the bytes; carried by <see cref="FramingException.Error"/> and the <c>ocean.framing.errors</c> metric.</summary>
public enum FramingError
{
    /// <summary>A line grew past the maximum line length before its terminator arrived.</summary>
    LineTooLong,

    /// <summary>In strict mode, a line ended with a lone LF, or contained a lone CR.</summary>
    InvalidLineEnding,

    /// <summary>A length prefix announced a frame larger than the maximum frame length.</summary>
    FrameTooLarge,

    /// <summary>A length prefix announced a negative length, or one smaller than the header it belongs to.</summary>
    NegativeLength,

    /// <summary>A length prefix (with its adjustment) does not fit the range of frame lengths.</summary>
    LengthOverflow,

    /// <summary>A varint length prefix ran longer than five bytes.</summary>
    MalformedLength,

    /// <summary>The stream ended in the middle of a frame.</summary>
    TruncatedFrame,

    /// <summary>Text bytes that the encoding refuses (such as what Java's <c>readUTF</c> refuses).</summary>
    MalformedText,

    /// <summary>A frame did not complete within the frame deadline counted from its first byte.</summary>
    FrameTimeout,

    /// <summary>
    /// A partial frame needed more buffer than the server had left: the connections of one
    /// <see cref="MessageServer"/> together hold at most <see cref="MessageServerOptions.MaxBufferedBytes"/>
    /// beyond each connection's own read buffer.
    /// </summary>
    BufferBudgetExhausted,
}
