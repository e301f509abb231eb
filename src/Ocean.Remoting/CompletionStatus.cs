namespace Ocean.Remoting;

/// <summary>
/// Whether the remote method ran, as CORBA system exceptions say it (the same numbers as CORBA's
/// <c>completion_status</c>): what a caller needs to know before retrying.
/// </summary>
public enum CompletionStatus
{
    /// <summary>The method ran to its end (it returned or threw).</summary>
    Yes = 0,

    /// <summary>The method did not run, and will not: retrying is safe.</summary>
    No = 1,

    /// <summary>The method may have run, wholly or in part (the connection was lost after the request was sent).</summary>
    Maybe = 2,
}
