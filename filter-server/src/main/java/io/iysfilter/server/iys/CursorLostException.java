package io.iysfilter.server.iys;

import java.io.IOException;

/**
 * İYS can no longer continue a source of a brand's feed from its cursor: it refused the cursor
 * ({@link BrandFeed#refusesCursor}), or İYS last accepted it longer ago than the feed's 7-day window. Changes may
 * have been missed and the brand must be re-bootstrapped.
 */
final class CursorLostException extends IOException
{
    private static final long serialVersionUID = 1L;

    private final String code;
    private final String body;

    /**
     * @param message what happened.
     * @param code    İYS's H-code(s), or null when the cursor was judged by its age.
     * @param body    İYS's answer body, or null.
     * @param cause   İYS's error, or null.
     */
    CursorLostException(final String message, final String code, final String body, final Throwable cause)
    {
        super(message, cause);
        this.code = code;
        this.body = body;
    }

    /**
     * @return İYS's H-code(s) in the refusal, or null.
     */
    String code()
    {
        return code;
    }

    /**
     * @return İYS's answer body, or null.
     */
    String body()
    {
        return body;
    }
}
