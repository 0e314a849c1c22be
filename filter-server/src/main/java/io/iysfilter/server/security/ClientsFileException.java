package io.iysfilter.server.security;

/**
 * A clients file that cannot be used, with the line (1-based) and what is wrong with it.
 */
public final class ClientsFileException extends Exception
{
    private static final long serialVersionUID = 1L;

    private final int line;

    /**
     * @param source  the file, for the message.
     * @param line    the line at fault, 0 for the file as a whole.
     * @param message what is wrong.
     */
    public ClientsFileException(final String source, final int line, final String message)
    {
        super(source + (line > 0 ? ":" + line : "") + ": " + message);
        this.line = line;
    }

    /**
     * @return the line at fault, 1-based; 0 for the file as a whole.
     */
    public int line()
    {
        return line;
    }
}
