package io.iysfilter.server.cli;

import io.iysfilter.server.FilterServer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code iys-filter serve}: runs until SIGINT or SIGTERM, then closes the index cleanly. Its options are made from
 * the settings' one declaration ({@link Setting}).
 */
@Command(name = "serve", customSynopsis = "iys-filter serve --data-dir DIR [--config FILE] [--print-config] [options]",
    sortOptions = false, description = {
    "run the server (binary protocol on 7700, HTTP on 7701, milter on 7702)",
    "",
    "Serves consent checks from the brand indexes in the data directory: the binary protocol (docs/PROTOCOL.md), " +
        "the HTTP API (GET /v1/check, /v1/brands, /health, /metrics) and the milter endpoint. Stops cleanly on " +
        "SIGINT or SIGTERM.",
    "",
    "Each setting below comes from FILE (--config: NAME=value lines), overridden by the environment variable " +
        "IYS_FILTER_<NAME> (upper case, _ for -, e.g. IYS_FILTER_HTTP_PORT), overridden by the option --NAME. " +
        "--print-config validates them and prints each with its source (passwords masked) instead of serving."})
final class ServeCommand implements Callable<Integer>
{
    private final PrintStream out;
    private final Map<String, String> options = new LinkedHashMap<>();

    @Option(names = "--config", paramLabel = "FILE", order = -2,
        description = "settings file (properties: NAME=value, the names below)")
    private String configFile;

    @Option(names = "--print-config", order = -1,
        description = "validate the settings and print each with its value and source, passwords masked; " +
            "do not serve")
    private boolean printConfig;

    private ServeCommand(final PrintStream out)
    {
        this.out = out;
    }

    /**
     * @param out standard output.
     * @return the command with an option per setting.
     */
    static CommandLine commandLine(final PrintStream out)
    {
        final ServeCommand command = new ServeCommand(out);
        final CommandLine line = new CommandLine(command);
        final List<String> footer = new ArrayList<>();
        footer.add("Config file only, per service provider <code>, defaulting to the setting shared by all:");
        for (final Setting<?> setting : Setting.ALL)
        {
            if (!setting.everywhere())
            {
                footer.add(String.format(Locale.ROOT, "  %-22s %s", setting.name(), plain(setting.shownDefault())));
                continue;
            }
            line.getCommandSpec().addOption(OptionSpec.builder("--" + setting.name())
                .paramLabel(setting.label())
                .type(String.class)
                .description(help(setting))
                .converters((text) ->
                {
                    try
                    {
                        setting.parse(text);
                    }
                    catch (final UsageException ex)
                    {
                        throw new CommandLine.TypeConversionException(ex.getMessage());
                    }
                    return text;
                })
                .setter(new CommandLine.Model.ISetter()
                {
                    @Override
                    public <T> T set(final T value)
                    {
                        if (value != null)
                        {
                            command.options.put(setting.name(), (String)value);
                        }
                        return null;
                    }
                })
                .build());
        }
        footer.add("IYS_USERNAME and IYS_PASSWORD in the environment give the İYS login when the config file " +
            "does not.");
        line.getCommandSpec().usageMessage().footer(footer.toArray(new String[0]));
        return line;
    }

    private static String help(final Setting<?> setting)
    {
        final String shown = plain(setting.shownDefault());
        if ("(required)".equals(shown))
        {
            return plain(setting.description()) + " (required)";
        }
        return plain(setting.description()) + " (default " +
            (shown.startsWith("(") ? shown.substring(1, shown.length() - 1) : shown) + ")";
    }

    private static String plain(final String markdown)
    {
        return markdown.replace("`", "");
    }

    /**
     * @return the settings given as options: name → value.
     */
    Map<String, String> options()
    {
        return options;
    }

    /**
     * @return the {@code --config} file, or null.
     */
    String configFile()
    {
        return configFile;
    }

    @Override
    public Integer call() throws Exception
    {
        final ServeSettings.Resolved resolved = ServeSettings.read(configFile, options, System.getenv());
        if (printConfig)
        {
            out.print(ServeSettings.describe(resolved));
            return Main.EXIT_OK;
        }
        final FilterServer.Context context = ServeSettings.toContext(resolved.values());
        final FilterServer server = FilterServer.start(context);
        out.printf("iys-filter serving %d brand(s) from %s: binary %s:%d, http http://%s:%d/, milter %s, resp %s%s%n",
            server.store().brands().size(), context.dataDirectory(), context.bindAddress(), server.binaryPort(),
            context.bindAddress(), server.httpPort(),
            server.milterPort() < 0 ? "off" : context.bindAddress() + ":" + server.milterPort(),
            server.respPort() < 0 ? "off" : context.bindAddress() + ":" + server.respPort(),
            (context.milterSocket() == null ? "" : ", milter socket unix:" + context.milterSocket()) +
            (server.adminPort() < 0 ? "" : ", admin http://" + context.adminBindAddress() + ":" + server.adminPort() +
            "/"));
        Shutdown.awaitShutdown(server, null);
        return Main.EXIT_OK;
    }
}
