package io.iysfilter.server.cli;

import io.iysfilter.server.FilterServer;
import io.iysfilter.server.iys.FeedSettings;
import io.iysfilter.server.decision.FilterPolicy;
import io.iysfilter.server.index.IndexOptions;
import io.iysfilter.server.milter.MilterEndpoint;
import io.iysfilter.server.milter.MilterSettings;

import java.io.IOException;
import java.io.Reader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * The settings of {@code serve}: from a properties file ({@code --config}), overridden by environment variables
 * ({@code IYS_FILTER_} + the name upper-cased with {@code _} for {@code -}, e.g. {@code IYS_FILTER_HTTP_PORT}),
 * overridden by command-line flags of the same names. Every setting, its default and unit:
 * <pre>
 *   data-dir               (required)   directory of the brand indexes
 *   bind                   127.0.0.1    address both endpoints listen on
 *   port                   7700         binary protocol port
 *   http-port              7701         HTTP API port
 *   io-threads             cores        event-loop threads
 *   busy-poll              false        event loops poll without sleeping: lower latency, each burns a core
 *   max-connections        1024         concurrent binary connections
 *   tacir-requires-record  true         TACIR with no record: DENY/NO_CONSENT (true) or ALLOW/TACIR_NO_RECORD
 *   freshness-bound        72h          age (s, m, h or d) past which commercial answers are STALE; "off" = none
 *   unbounded-brands       (none)       comma-separated brand codes whose data is imported only: no bound
 *   max-future-skew        5m           how far past this server's clock a record's creationDate may lie before it
 *                                       is refused (a record from the future would beat every real one)
 *   entries-per-map        10000000     sizing of a brand's phone and e-mail maps when created
 *   disk-reserve-mb        256          MiB the data directory's file system keeps usable: below it the writer
 *                                       refuses changes and opt-outs ("disk full"); 0 = no guard
 *   milter-port            7702         milter endpoint for MTAs; "off" for none
 *   milter-brand-map       (none)       file mapping auth:USER, sender:ADDRESS, domain:DOMAIN to brand codes
 *   milter-brand-header    false        whether an X-IYS-Brand header may name the brand when the map does not
 *   milter-reject-at-rcpt  false        refuse recipients without consent at RCPT time instead of removing them
 *   iys-base-url           (none)       follow İYS's change feed from this API base (no feed when absent)
 *   iys-code               (required)   the service provider's İYS code, or several, comma-separated
 *   iys-username           $IYS_USERNAME   API user; the environment variable is used when the setting is absent
 *   iys-password           $IYS_PASSWORD   API password; never logged or printed
 *   iys-brands             (required)   comma-separated brand codes to follow, or "all" (GET /sps/{code}/brands)
 *   iys.CODE.username, iys.CODE.password, iys.CODE.brands   per-provider overrides (config file only); providers
 *                                       without them share iys-username/iys-password, e.g. an integrator login
 *   iys-poll-interval      60s          time between polls of a brand
 *   iys-page-size          999          limit per request, 1..999
 *   iys-recent-exclusion   1h           how recent movements İYS withholds (its documented hour; "off" for none)
 *   iys-durability         fsync        fsync: index files forced to disk before each cursor write (survives a
 *                                       machine crash); process: page cache only (survives a process crash)
 * </pre>
 */
final class ServeSettings
{
    static final Set<String> NAMES = Set.of("data-dir", "bind", "port", "http-port", "io-threads", "max-connections",
        "busy-poll", "tacir-requires-record", "freshness-bound", "unbounded-brands", "max-future-skew",
        "entries-per-map", "milter-port",
        "milter-brand-map", "milter-brand-header", "milter-reject-at-rcpt", "iys-base-url", "iys-code",
        "iys-username", "iys-password", "iys-brands", "iys-poll-interval", "iys-page-size", "iys-recent-exclusion",
        "iys-durability", "disk-reserve-mb");

    private static final long MIB = 1024 * 1024;

    private ServeSettings()
    {
    }

    /** Defaults, for --print-config; the resolvers below apply the same ones. */
    static final Map<String, String> DEFAULTS = defaults();

    private static Map<String, String> defaults()
    {
        final Map<String, String> defaults = new java.util.LinkedHashMap<>();
        defaults.put("data-dir", "");
        defaults.put("bind", FilterServer.Context.BIND_ADDRESS_DEFAULT);
        defaults.put("port", Integer.toString(FilterServer.Context.BINARY_PORT_DEFAULT));
        defaults.put("http-port", Integer.toString(FilterServer.Context.HTTP_PORT_DEFAULT));
        defaults.put("io-threads", Integer.toString(Runtime.getRuntime().availableProcessors()));
        defaults.put("busy-poll", "false");
        defaults.put("max-connections", Integer.toString(FilterServer.Context.MAX_CONNECTIONS_DEFAULT));
        defaults.put("tacir-requires-record", "true");
        defaults.put("freshness-bound", "72h");
        defaults.put("unbounded-brands", "");
        defaults.put("max-future-skew", "5m");
        defaults.put("entries-per-map", Long.toString(IndexOptions.DEFAULT_ENTRIES_PER_MAP));
        defaults.put("disk-reserve-mb", Long.toString(IndexOptions.DEFAULT_DISK_RESERVE_BYTES / MIB));
        defaults.put("milter-port", Integer.toString(MilterEndpoint.PORT_DEFAULT));
        defaults.put("milter-brand-map", "");
        defaults.put("milter-brand-header", "false");
        defaults.put("milter-reject-at-rcpt", "false");
        defaults.put("iys-base-url", "");
        defaults.put("iys-code", "");
        defaults.put("iys-username", "");
        defaults.put("iys-password", "");
        defaults.put("iys-brands", "");
        defaults.put("iys-poll-interval", "60s");
        defaults.put("iys-page-size", "999");
        defaults.put("iys-recent-exclusion", "1h");
        defaults.put("iys-durability", "fsync");
        return defaults;
    }

    /**
     * @param name a setting.
     * @return the environment variable that overrides it, e.g. {@code IYS_FILTER_HTTP_PORT}.
     */
    static String environmentName(final String name)
    {
        return "IYS_FILTER_" + name.toUpperCase(Locale.ROOT).replace('-', '_');
    }

    /**
     * Settings as resolved: the value of each and where it came from.
     *
     * @param values  name → value.
     * @param sources name → "config FILE", "environment VAR" or "flag".
     */
    record Resolved(Properties values, Map<String, String> sources)
    {
    }

    static FilterServer.Context resolve(final Args args) throws IOException
    {
        return toContext(read(args, System.getenv()).values());
    }

    /**
     * Config file, then {@code IYS_FILTER_*} environment variables, then flags: each overrides the one before.
     */
    static Resolved read(final Args args, final Map<String, String> environment) throws IOException
    {
        final Map<String, String> sources = new HashMap<>();
        final Properties settings = new Properties();
        final String configFile = args.get("config");
        if (configFile != null)
        {
            try (Reader reader = Files.newBufferedReader(Path.of(configFile), StandardCharsets.UTF_8))
            {
                settings.load(reader);
            }
            for (final String name : settings.stringPropertyNames())
            {
                if (!NAMES.contains(name) && !name.matches("iys\\.\\d+\\.(username|password|brands)"))
                {
                    throw new Args.UsageException("unknown setting in " + configFile + ": '" + name +
                        "' (expected one of: " + String.join(", ", NAMES) + ")");
                }
                sources.put(name, "config " + configFile);
            }
        }
        for (final String name : new String[]{"iys-username", "iys-password"})
        {
            final String variable = name.equals("iys-username") ? "IYS_USERNAME" : "IYS_PASSWORD";
            if (!settings.containsKey(name) && environment.get(variable) != null)
            {
                settings.setProperty(name, environment.get(variable));
                sources.put(name, "environment " + variable);
            }
        }
        for (final String name : NAMES)
        {
            final String fromEnvironment = environment.get(environmentName(name));
            if (fromEnvironment != null)
            {
                settings.setProperty(name, fromEnvironment);
                sources.put(name, "environment " + environmentName(name));
            }
            if (args.has(name))
            {
                settings.setProperty(name, args.get(name));
                sources.put(name, "flag --" + name);
            }
        }
        return new Resolved(settings, sources);
    }

    /**
     * Validate the settings, then describe every one: value (secrets masked) and source.
     *
     * @param resolved the settings.
     * @return one line per setting.
     */
    static String describe(final Resolved resolved)
    {
        toContext(resolved.values());
        final StringBuilder text = new StringBuilder();
        final java.util.TreeSet<String> names = new java.util.TreeSet<>(resolved.values().stringPropertyNames());
        names.addAll(DEFAULTS.keySet());
        for (final String name : DEFAULTS.keySet())
        {
            line(text, name, resolved);
        }
        for (final String name : names)
        {
            if (!DEFAULTS.containsKey(name))
            {
                line(text, name, resolved);
            }
        }
        return text.toString();
    }

    private static void line(final StringBuilder text, final String name, final Resolved resolved)
    {
        final String value = resolved.values().getProperty(name, DEFAULTS.getOrDefault(name, ""));
        final boolean secret = name.endsWith("password");
        final String shown = secret && !value.isEmpty() ? "****" : value;
        text.append(String.format(Locale.ROOT, "%-24s = %-30s # %s%n", name, shown,
            resolved.sources().getOrDefault(name, "default")));
    }

    private static FilterServer.Context toContext(final Properties settings)
    {
        final String dataDir = settings.getProperty("data-dir");
        if (dataDir == null || dataDir.isBlank())
        {
            throw new Args.UsageException("data-dir: missing (expected: --data-dir DIR or data-dir= in --config)");
        }
        final long boundMs = duration("freshness-bound", settings.getProperty("freshness-bound", "72h"));
        final long skewMs = duration("max-future-skew", settings.getProperty("max-future-skew", "5m"));
        if (skewMs <= 0)
        {
            throw new Args.UsageException("max-future-skew: 'off' (expected: a number with s, m, h or d; the check " +
                "cannot be switched off, a record from the future would beat every real one)");
        }
        final Set<Long> unbounded = new HashSet<>();
        for (final String code : settings.getProperty("unbounded-brands", "").split(","))
        {
            if (!code.isBlank())
            {
                unbounded.add(Args.parseLong("unbounded-brands", code, 1, 0xFFFF_FFFFL));
            }
        }
        final long entries = Args.parseLong("entries-per-map",
            settings.getProperty("entries-per-map", Long.toString(IndexOptions.DEFAULT_ENTRIES_PER_MAP)),
            1_000, 4_000_000_000L);
        final long reserveMib = Args.parseLong("disk-reserve-mb", settings.getProperty("disk-reserve-mb",
            Long.toString(IndexOptions.DEFAULT_DISK_RESERVE_BYTES / MIB)), 0, 1L << 30);
        final boolean tacir = flag("tacir-requires-record", settings.getProperty("tacir-requires-record", "true"));
        final String milterPort = settings.getProperty("milter-port", Integer.toString(MilterEndpoint.PORT_DEFAULT));
        final String brandMap = settings.getProperty("milter-brand-map");
        final MilterSettings milter;
        try
        {
            milter = MilterSettings.of(brandMap == null || brandMap.isBlank() ? null : Path.of(brandMap),
                flag("milter-brand-header", settings.getProperty("milter-brand-header", "false")),
                flag("milter-reject-at-rcpt", settings.getProperty("milter-reject-at-rcpt", "false")));
        }
        catch (final IllegalArgumentException ex)
        {
            throw new Args.UsageException(ex.getMessage());
        }
        catch (final IOException ex)
        {
            throw new Args.UsageException("milter-brand-map: cannot read " + brandMap + ": " + ex.getMessage());
        }
        return new FilterServer.Context()
            .dataDirectory(Path.of(dataDir))
            .feeds(feeds(settings))
            .milterPort("off".equalsIgnoreCase(milterPort.trim()) ? -1 :
                (int)Args.parseLong("milter-port", milterPort, 0, 65535))
            .milter(milter)
            .bindAddress(settings.getProperty("bind", FilterServer.Context.BIND_ADDRESS_DEFAULT))
            .binaryPort((int)Args.parseLong("port",
                settings.getProperty("port", Integer.toString(FilterServer.Context.BINARY_PORT_DEFAULT)), 0, 65535))
            .httpPort((int)Args.parseLong("http-port",
                settings.getProperty("http-port", Integer.toString(FilterServer.Context.HTTP_PORT_DEFAULT)), 0,
                65535))
            .ioThreads((int)Args.parseLong("io-threads", settings.getProperty("io-threads",
                Integer.toString(Runtime.getRuntime().availableProcessors())), 1, 256))
            .busyPoll(flag("busy-poll", settings.getProperty("busy-poll", "false")))
            .maxConnections((int)Args.parseLong("max-connections", settings.getProperty("max-connections",
                Integer.toString(FilterServer.Context.MAX_CONNECTIONS_DEFAULT)), 1, 1_000_000))
            .policy(new FilterPolicy(tacir))
            .indexOptions(new IndexOptions(entries, IndexOptions.DEFAULT_MAX_BLOAT_FACTOR,
                brand -> unbounded.contains(brand) ? 0 : boundMs).withMaxFutureSkewMs(skewMs)
                .withDiskReserve(reserveMib * MIB));
    }

    /**
     * @return one FeedSettings per service provider in {@code iys-code} (comma-separated), each with the shared
     * login and brands unless {@code iys.<code>.username|password|brands} override them.
     */
    private static List<FeedSettings> feeds(final Properties settings)
    {
        final String baseUrl = settings.getProperty("iys-base-url");
        if (baseUrl == null || baseUrl.isBlank())
        {
            return List.of();
        }
        final List<FeedSettings> providers = new ArrayList<>();
        for (final String codeText : required(settings, "iys-code").split(","))
        {
            final long code = Args.parseLong("iys-code", codeText, 1, 0xFFFF_FFFFL);
            final String prefix = "iys." + code + ".";
            final String username = settings.getProperty(prefix + "username", settings.getProperty("iys-username"));
            final String password = settings.getProperty(prefix + "password", settings.getProperty("iys-password"));
            if (username == null || password == null)
            {
                throw new Args.UsageException("iys-username and iys-password (or " + prefix + "username and " +
                    prefix + "password): missing (expected: settings, or IYS_USERNAME and IYS_PASSWORD in the " +
                    "environment)");
            }
            final String brandsText = settings.getProperty(prefix + "brands", required(settings, "iys-brands"));
            final List<Long> brands = new ArrayList<>();
            if (!"all".equalsIgnoreCase(brandsText.trim()))
            {
                for (final String brand : brandsText.split(","))
                {
                    if (!brand.isBlank())
                    {
                        brands.add(Args.parseLong("iys-brands", brand, 1, 0xFFFF_FFFFL));
                    }
                }
                if (brands.isEmpty())
                {
                    throw new Args.UsageException("iys-brands: empty (expected: brand codes, or all)");
                }
            }
            try
            {
                providers.add(new FeedSettings(URI.create(baseUrl.trim()), code, username, password, brands,
                    duration("iys-poll-interval", settings.getProperty("iys-poll-interval", "60s")),
                    (int)Args.parseLong("iys-page-size", settings.getProperty("iys-page-size", "999"), 1, 999),
                    duration("iys-recent-exclusion", settings.getProperty("iys-recent-exclusion", "1h")),
                    durability(settings.getProperty("iys-durability", "fsync"))));
            }
            catch (final IllegalArgumentException ex)
            {
                throw new Args.UsageException(ex.getMessage());
            }
        }
        return providers;
    }

    private static boolean durability(final String text)
    {
        final String value = text.trim().toLowerCase(Locale.ROOT);
        if (!value.equals("fsync") && !value.equals("process"))
        {
            throw new Args.UsageException("iys-durability: '" + text + "' (expected: fsync or process)");
        }
        return value.equals("fsync");
    }

    private static String required(final Properties settings, final String name)
    {
        final String value = settings.getProperty(name);
        if (value == null || value.isBlank())
        {
            throw new Args.UsageException(name + ": missing");
        }
        return value;
    }

    private static boolean flag(final String name, final String text)
    {
        final String value = text.trim().toLowerCase(Locale.ROOT);
        if (!value.equals("true") && !value.equals("false"))
        {
            throw new Args.UsageException(name + ": '" + text + "' (expected: true or false)");
        }
        return Boolean.parseBoolean(value);
    }

    /**
     * @return milliseconds, or 0 for "off".
     */
    static long duration(final String name, final String text)
    {
        final String value = text.trim().toLowerCase(Locale.ROOT);
        if (value.equals("off"))
        {
            return 0;
        }
        final Map<Character, Long> units = Map.of('s', 1_000L, 'm', 60_000L, 'h', 3_600_000L, 'd', 86_400_000L);
        final Long unit = value.isEmpty() ? null : units.get(value.charAt(value.length() - 1));
        if (unit == null)
        {
            throw new Args.UsageException(name + ": '" + text + "' (expected: a number with s, m, h or d, or off)");
        }
        return Args.parseLong(name, value.substring(0, value.length() - 1), 1, 3650L * 86_400) * unit;
    }
}
