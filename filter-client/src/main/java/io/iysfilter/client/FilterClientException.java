package io.iysfilter.client;

import io.iysfilter.protocol.codecs.ErrorCode;

/**
 * A request that got no answer: the server sent ERROR ({@link #errorCode()} says which), the connection closed
 * before the answer came, or the client could not connect.
 */
public final class FilterClientException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    /** The server's error code, or null when the failure was local. */
    private final transient ErrorCode errorCode;

    /**
     * @param message   what happened.
     * @param errorCode the server's code, or null.
     * @param cause     the underlying failure, or null.
     */
    public FilterClientException(final String message, final ErrorCode errorCode, final Throwable cause)
    {
        super(message, cause);
        this.errorCode = errorCode;
    }

    /**
     * @return the server's error code, or null when the failure was local (connection, timeout).
     */
    public ErrorCode errorCode()
    {
        return errorCode;
    }
}
