package io.iysfilter.server.feed;

import java.io.IOException;

/**
 * İYS can no longer continue a brand's feed from its cursor (refused as unknown or expired, or older than the feed's
 * 7-day window): changes may have been missed and the brand must be re-bootstrapped.
 */
final class CursorLostException extends IOException
{
    private static final long serialVersionUID = 1L;

    CursorLostException(final String message, final Throwable cause)
    {
        super(message, cause);
    }
}
