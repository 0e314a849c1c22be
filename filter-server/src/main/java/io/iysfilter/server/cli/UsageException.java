package io.iysfilter.server.cli;

/**
 * A usage error found after parsing (a value out of range, options that go together): the command line prints it
 * with its help hint and exits {@link Main#EXIT_ERROR}. Public for the developer tools (module loadtest).
 */
public final class UsageException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    /**
     * @param message what was wrong, starting with the option's name, without the command's.
     */
    public UsageException(final String message)
    {
        super(message);
    }

    /**
     * @param name  the option, for the message.
     * @param value its value.
     * @param min   smallest accepted.
     * @param max   largest accepted.
     * @return the value.
     * @throws UsageException when it is not in [min, max].
     */
    public static long inRange(final String name, final long value, final long min, final long max)
    {
        if (value < min || value > max)
        {
            throw new UsageException(name + ": " + value + " (expected: " + min + ".." + max + ")");
        }
        return value;
    }

    /**
     * @param name  the setting or option, for the message.
     * @param value its text.
     * @param min   smallest accepted.
     * @param max   largest accepted.
     * @return the number.
     * @throws UsageException when it is not a whole number in [min, max].
     */
    static long parseLong(final String name, final String value, final long min, final long max)
    {
        final long parsed;
        try
        {
            parsed = Long.parseLong(value.trim());
        }
        catch (final NumberFormatException ex)
        {
            throw new UsageException(name + ": '" + value + "' (expected: a whole number, " + min + ".." + max + ")");
        }
        return inRange(name, parsed, min, max);
    }
}
