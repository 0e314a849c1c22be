package io.iysfilter.server.feed;

import java.io.IOException;

/**
 * İYS answered with an error status.
 */
public final class IysApiException extends IOException
{
    private static final long serialVersionUID = 1L;

    private final int status;
    private final long retryAfterMs;

    IysApiException(final String message, final int status, final long retryAfterMs)
    {
        super(message);
        this.status = status;
        this.retryAfterMs = retryAfterMs;
    }

    /**
     * @return the HTTP status.
     */
    public int status()
    {
        return status;
    }

    /**
     * @return the server's Retry-After in milliseconds, or 0 when it gave none.
     */
    public long retryAfterMs()
    {
        return retryAfterMs;
    }
}
