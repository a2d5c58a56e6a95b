namespace LocalBatch.Server.Internal;

/// <summary>Thrown by a handler to answer with an OpenAI error; <see cref="ApiErrorFilter"/> turns it into the response.</summary>
internal sealed class ApiErrorException : Exception
{
    public ApiErrorException()
        : this(ApiError.Unexpected())
    {
    }

    public ApiErrorException(string message)
        : this(ApiError.BadRequest(message))
    {
    }

    public ApiErrorException(string message, Exception innerException)
        : base(message, innerException)
    {
        Error = ApiError.BadRequest(message);
    }

    public ApiErrorException(ApiError error)
        : base(error.Message)
    {
        Error = error;
    }

    /// <summary>Gets the answer to send.</summary>
    public ApiError Error { get; }
}
