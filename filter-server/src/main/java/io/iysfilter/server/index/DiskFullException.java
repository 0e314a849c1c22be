package io.iysfilter.server.index;

/**
 * A change refused because the data directory's file system is (nearly) full: by the {@link DiskSpaceGuard} before
 * anything was written, or because a write found no space.
 */
public final class DiskFullException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    /**
     * @param message why, starting with "disk full".
     */
    public DiskFullException(final String message)
    {
        super(message);
    }

    /**
     * @param message why, starting with "disk full".
     * @param cause   the failure that showed it.
     */
    public DiskFullException(final String message, final Throwable cause)
    {
        super(message, cause);
    }
}
