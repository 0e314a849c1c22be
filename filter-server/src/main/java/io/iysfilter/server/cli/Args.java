package io.iysfilter.server.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Command-line arguments: {@code --name value}, {@code --name=value}, bare {@code --flag}s and positionals.
 * Every option must be one the command declares, so a typo is an error rather than silently ignored. Public for the
 * developer tools (module loadtest), whose commands parse their options the same way.
 */
public final class Args
{
    private final Map<String, String> options = new HashMap<>();
    private final List<String> positionals = new ArrayList<>();

    private Args()
    {
    }

    /**
     * @param argv      the arguments after the subcommand.
     * @param valued    options that take a value.
     * @param flags     options that take none.
     * @return the parsed arguments.
     * @throws UsageException on an unknown option or a missing value.
     */
    public static Args parse(final String[] argv, final Set<String> valued, final Set<String> flags)
    {
        final Args args = new Args();
        for (int i = 0; i < argv.length; i++)
        {
            final String arg = argv[i];
            if (arg.startsWith("--") && arg.length() > 2)
            {
                final int equals = arg.indexOf('=');
                final String name = equals > 0 ? arg.substring(2, equals) : arg.substring(2);
                if (flags.contains(name) && equals < 0)
                {
                    args.options.put(name, "true");
                }
                else if (valued.contains(name))
                {
                    if (equals > 0)
                    {
                        args.options.put(name, arg.substring(equals + 1));
                    }
                    else if (i + 1 < argv.length)
                    {
                        args.options.put(name, argv[++i]);
                    }
                    else
                    {
                        throw new UsageException("option --" + name + " needs a value");
                    }
                }
                else
                {
                    throw new UsageException("unknown option: " + arg);
                }
            }
            else
            {
                args.positionals.add(arg);
            }
        }
        return args;
    }

    /**
     * @param name option name without the dashes.
     * @return its value, or null when absent.
     */
    public String get(final String name)
    {
        return options.get(name);
    }

    /**
     * @param name     option name without the dashes.
     * @param fallback the value when absent.
     * @return its value, or the fallback.
     */
    public String get(final String name, final String fallback)
    {
        return options.getOrDefault(name, fallback);
    }

    /**
     * @param name option or flag name without the dashes.
     * @return whether it was given.
     */
    public boolean has(final String name)
    {
        return options.containsKey(name);
    }

    /**
     * @param name option name without the dashes.
     * @return its value.
     * @throws UsageException when it is absent or empty.
     */
    public String required(final String name)
    {
        final String value = options.get(name);
        if (value == null || value.isEmpty())
        {
            throw new UsageException("missing required option --" + name);
        }
        return value;
    }

    /**
     * @return the arguments that are not options, in order.
     */
    public List<String> positionals()
    {
        return positionals;
    }

    /**
     * @param name  the option, for the error message.
     * @param value its text.
     * @param min   smallest accepted.
     * @param max   largest accepted.
     * @return the number.
     * @throws UsageException when it is not a whole number in [min, max].
     */
    public static long parseLong(final String name, final String value, final long min, final long max)
    {
        try
        {
            final long parsed = Long.parseLong(value.trim());
            if (parsed < min || parsed > max)
            {
                throw new UsageException(name + ": " + value + " (expected: " + min + ".." + max + ")");
            }
            return parsed;
        }
        catch (final NumberFormatException ex)
        {
            throw new UsageException(name + ": '" + value + "' (expected: a whole number, " + min + ".." + max + ")");
        }
    }

    /**
     * Create a directory a command will fill, refusing one that already holds something.
     *
     * @param name      the option that named it.
     * @param directory the directory.
     * @throws IOException when it cannot be listed or created.
     */
    public static void createEmptyOrNew(final String name, final Path directory) throws IOException
    {
        if (Files.exists(directory))
        {
            try (Stream<Path> entries = Files.list(directory))
            {
                if (entries.findAny().isPresent())
                {
                    throw new UsageException(name + ": " + directory + " is not empty (expected: empty or new)");
                }
            }
        }
        Files.createDirectories(directory);
    }

    /**
     * A usage error: the command prints it with its help hint and exits 2.
     */
    public static final class UsageException extends RuntimeException
    {
        private static final long serialVersionUID = 1L;

        /**
         * @param message what was wrong, without the command's name.
         */
        public UsageException(final String message)
        {
            super(message);
        }
    }
}
