package io.iysfilter.server.cli;

import io.iysfilter.server.FilterServer;
import io.iysfilter.server.decision.FilterPolicy;
import io.iysfilter.server.index.IndexOptions;
import io.iysfilter.server.iys.FeedSettings;
import io.iysfilter.server.http.HttpSettings;
import io.iysfilter.server.logging.Secrets;
import io.iysfilter.server.milter.MilterSettings;
import io.iysfilter.server.net.PeerAllowList;
import io.iysfilter.server.net.TlsSettings;
import io.iysfilter.server.push.PushSettings;
import io.iysfilter.server.receipts.ReceiptSettings;
import io.iysfilter.server.replication.ReplicationSettings;
import io.iysfilter.server.replication.Role;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.Reader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

/**
 * Resolves the settings of {@code serve} ({@link Setting}, where each is declared and the precedence is described)
 * from the config file, the environment and the options, and turns them into the server's context.
 */
final class ServeSettings
{
    private static final Logger LOG = LoggerFactory.getLogger(ServeSettings.class);
    private static final long MIB = 1024 * 1024;

    private ServeSettings()
    {
    }

    /**
     * Settings as resolved: the value of each and where it came from.
     *
     * @param values  name → value.
     * @param sources name → "config FILE", "environment VAR" or "flag --NAME".
     */
    record Resolved(Properties values, Map<String, String> sources)
    {
    }

    /**
     * Config file, then {@code IYS_FILTER_*} environment variables, then options: each overrides the one before;
     * {@code IYS_USERNAME} / {@code IYS_PASSWORD} fill in the login when the config file does not set it.
     *
     * @param configFile  the {@code --config} file, or null.
     * @param options     name → value of the options given.
     * @param environment the environment.
     * @return the settings.
     * @throws IOException when the config file cannot be read.
     */
    static Resolved read(final String configFile, final Map<String, String> options,
        final Map<String, String> environment) throws IOException
    {
        final Map<String, String> sources = new HashMap<>();
        final Properties settings = new Properties();
        if (configFile != null)
        {
            try (Reader reader = Files.newBufferedReader(Path.of(configFile), StandardCharsets.UTF_8))
            {
                settings.load(reader);
            }
            warnIfOthersMayRead(Path.of(configFile), "config file");
            for (final String name : settings.stringPropertyNames())
            {
                if (Setting.forKey(name) == null)
                {
                    final List<String> names = new ArrayList<>();
                    Setting.ALL.forEach((setting) -> names.add(setting.name()));
                    throw new UsageException("unknown setting in " + configFile + ": '" + name +
                        "' (expected one of: " + String.join(", ", names) + ")");
                }
                sources.put(name, "config " + configFile);
            }
        }
        for (final Setting<?> setting : Setting.ALL)
        {
            final String variable = setting.fallbackEnvironmentVariable();
            if (variable != null && !settings.containsKey(setting.name()) && environment.get(variable) != null)
            {
                settings.setProperty(setting.name(), environment.get(variable));
                sources.put(setting.name(), "environment " + variable);
            }
        }
        for (final Setting<?> setting : Setting.ALL)
        {
            if (!setting.everywhere())
            {
                continue;
            }
            final String name = setting.name();
            final String fromEnvironment = environment.get(setting.environmentVariable());
            if (fromEnvironment != null)
            {
                settings.setProperty(name, fromEnvironment);
                sources.put(name, "environment " + setting.environmentVariable());
            }
            if (options.containsKey(name))
            {
                settings.setProperty(name, options.get(name));
                sources.put(name, "flag --" + name);
            }
        }
        refusePasswordsOutsideFilesAndEnvironment(sources);
        return new Resolved(settings, sources);
    }

    /**
     * The İYS password is taken from the environment or a file only: a flag is visible to every user in {@code ps},
     * and a config file is copied, backed up and shown around more than a secret should be (docs/SECURITY.md).
     */
    private static void refusePasswordsOutsideFilesAndEnvironment(final Map<String, String> sources)
    {
        for (final Map.Entry<String, String> source : sources.entrySet())
        {
            final String name = source.getKey();
            final boolean password = name.equals(Setting.IYS_PASSWORD.name()) ||
                Setting.PROVIDER_PASSWORD.isKey(name);
            if (password && !source.getValue().startsWith("environment "))
            {
                final String fileSetting = name.equals(Setting.IYS_PASSWORD.name()) ?
                    Setting.IYS_PASSWORD_FILE.name() : name + "-file";
                throw new UsageException(name + ": refused from " + source.getValue() + " (a flag shows in `ps`, a " +
                    "config file is copied around): put the password in a file readable by the server's user only " +
                    "and name it with " + fileSetting + (name.equals(Setting.IYS_PASSWORD.name()) ?
                    ", or set the environment variable IYS_PASSWORD" : ""));
            }
        }
    }

    /**
     * Warn, at start, about a file holding settings or a secret that group or others may read.
     */
    private static void warnIfOthersMayRead(final Path file, final String what)
    {
        try
        {
            final Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
            if (permissions.contains(PosixFilePermission.GROUP_READ) ||
                permissions.contains(PosixFilePermission.OTHERS_READ))
            {
                LOG.warn("{} {} is readable by group or others (mode {}): chmod 600 it (docs/SECURITY.md)", what, file,
                    PosixFilePermissions.toString(permissions));
            }
        }
        catch (final IOException | UnsupportedOperationException ex)
        {
            LOG.warn("cannot read the mode of {} {}: {}", what, file, ex.toString());
        }
    }

    /**
     * @return the first line of a password file, which must exist.
     */
    private static String readPasswordFile(final String setting, final String file)
    {
        final Path path = Path.of(file.trim());
        try
        {
            final List<String> lines = Files.readAllLines(path, StandardCharsets.UTF_8);
            if (lines.isEmpty() || lines.get(0).isEmpty())
            {
                throw new UsageException(setting + ": " + path + " is empty (expected: the password on its first " +
                    "line)");
            }
            warnIfOthersMayRead(path, "password file");
            return lines.get(0);
        }
        catch (final IOException ex)
        {
            throw new UsageException(setting + ": cannot read " + path + ": " + ex.getMessage());
        }
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
        for (final Setting<?> setting : Setting.ALL)
        {
            if (setting.everywhere())
            {
                line(text, setting.name(), setting.defaultValue(), setting.secret(), resolved);
            }
        }
        for (final String name : new TreeSet<>(resolved.values().stringPropertyNames()))
        {
            final Setting<?> setting = Setting.forKey(name);
            if (setting != null && !setting.everywhere())
            {
                line(text, name, setting.defaultValue(), setting.secret(), resolved);
            }
        }
        return text.toString();
    }

    private static void line(final StringBuilder text, final String name, final String defaultValue,
        final boolean secret, final Resolved resolved)
    {
        final String value = resolved.values().getProperty(name, defaultValue);
        final String shown = secret && !value.isEmpty() ? "****" : Secrets.maskUserInfo(value);
        text.append(String.format(Locale.ROOT, "%-24s = %-30s # %s%n", name, shown,
            resolved.sources().getOrDefault(name, "default")));
    }

    /**
     * @param settings the resolved settings.
     * @return the server's context.
     * @throws UsageException naming the first setting that is missing or wrong.
     */
    static FilterServer.Context toContext(final Properties settings)
    {
        final String dataDir = Setting.DATA_DIR.value(settings);
        if (dataDir.isBlank())
        {
            throw new UsageException("data-dir: missing (expected: --data-dir DIR or data-dir= in --config)");
        }
        final long boundMs = Setting.FRESHNESS_BOUND.value(settings);
        final long skewMs = Setting.MAX_FUTURE_SKEW.value(settings);
        final Set<Long> unbounded = new HashSet<>(Setting.UNBOUNDED_BRANDS.value(settings));
        final Set<Long> dealerTrusted = new HashSet<>(Setting.DEALER_ACCESS_TRUST_FEED.value(settings));
        final Map<Long, Long> dealerFreshFor = Setting.DEALER_ACCESS_FRESH_FOR.value(settings);
        final long entries = Setting.ENTRIES_PER_MAP.value(settings);
        // each map sized apart when asked, else by entries-per-map as before
        final long phoneEntries = settings.containsKey(Setting.PHONE_ENTRIES.name()) ?
            Setting.PHONE_ENTRIES.value(settings) : entries;
        final long emailEntries = settings.containsKey(Setting.EMAIL_ENTRIES.name()) ?
            Setting.EMAIL_ENTRIES.value(settings) : entries;
        final long reserveMib = Setting.DISK_RESERVE_MB.value(settings);
        final boolean tacir = Setting.TACIR_REQUIRES_RECORD.value(settings);
        final String brandMap = Setting.MILTER_BRAND_MAP.value(settings);
        final MilterSettings milter;
        try
        {
            milter = MilterSettings.of(brandMap.isBlank() ? null : Path.of(brandMap),
                Setting.MILTER_BRAND_HEADER.value(settings), Setting.MILTER_REJECT_AT_RCPT.value(settings))
                .withKindHeader(Setting.MILTER_KIND_HEADER.value(settings))
                .withLimits(Setting.MILTER_MAX_CONNECTIONS.value(settings).intValue(),
                    Setting.MILTER_IDLE_TIMEOUT.value(settings), Setting.MILTER_PACKET_TIMEOUT.value(settings));
        }
        catch (final IllegalArgumentException ex)
        {
            throw new UsageException(ex.getMessage());
        }
        catch (final IOException ex)
        {
            throw new UsageException("milter-brand-map: cannot read " + brandMap + ": " + ex.getMessage());
        }
        final String keyFile = Setting.KEY_FILE.value(settings);
        final String clientsFile = Setting.CLIENTS_FILE.value(settings);
        if (!clientsFile.isBlank())
        {
            warnIfOthersMayRead(Path.of(clientsFile.trim()), "clients file");
        }
        final String milterSocket = Setting.MILTER_SOCKET.value(settings);
        final String milterAllow = Setting.MILTER_ALLOW.value(settings);
        final int maxConnections = Setting.MAX_CONNECTIONS.value(settings).intValue();
        final int httpMaxConnections = Setting.HTTP_MAX_CONNECTIONS.value(settings).intValue();
        final int respMaxConnections = Setting.RESP_MAX_CONNECTIONS.value(settings).intValue();
        final int perAddress = Setting.MAX_CONNECTIONS_PER_ADDRESS.value(settings);
        // with a milter socket, the milter listens on TCP too only when its port is given
        final int milterPort = !milterSocket.isBlank() && !settings.containsKey(Setting.MILTER_PORT.name()) ? -1 :
            Setting.MILTER_PORT.value(settings);
        return new FilterServer.Context()
            .clientsFile(clientsFile.isBlank() ? null : Path.of(clientsFile.trim()))
            .authFailureLimit(Setting.AUTH_FAILURE_LIMIT.value(settings).intValue())
            .scrubRowsPerSecond(Setting.SCRUB_ROWS_PER_SECOND.value(settings))
            .dataDirectory(Path.of(dataDir))
            .keyFile(keyFile.isBlank() ? null : Path.of(keyFile))
            .logRecipientsWhole(Setting.LOG_RECIPIENTS.value(settings))
            .feeds(feeds(settings))
            .milterPort(milterPort)
            .milterSocket(milterSocket.isBlank() ? null : Path.of(milterSocket.trim()))
            .milterAllow(milterAllow.isBlank() ? null : PeerAllowList.parse(milterAllow))
            .milter(milter)
            .bindAddress(Setting.BIND.value(settings))
            .adminBindAddress(Setting.ADMIN_BIND_ADDRESS.value(settings))
            .adminPort(Setting.ADMIN_PORT.value(settings))
            .insecurePlaintext(Setting.INSECURE_PLAINTEXT.value(settings))
            .binaryPort(Setting.PORT.value(settings))
            .httpPort(Setting.HTTP_PORT.value(settings))
            .http(new HttpSettings(httpMaxConnections,
                Setting.HTTP_IDLE_TIMEOUT.value(settings), Setting.HTTP_REQUEST_TIMEOUT.value(settings),
                Setting.HTTP_MAX_BODY_MB.value(settings) * MIB, perAddress(perAddress, httpMaxConnections)))
            .ioThreads(Setting.IO_THREADS.value(settings).intValue())
            .busyPoll(Setting.BUSY_POLL.value(settings))
            .maxConnections(maxConnections)
            .maxConnectionsPerAddress(perAddress(perAddress, maxConnections))
            .binaryIdleTimeoutMs(Setting.BINARY_IDLE_TIMEOUT.value(settings))
            .binaryFrameTimeoutMs(Setting.BINARY_FRAME_TIMEOUT.value(settings))
            .respPort(Setting.RESP_PORT.value(settings))
            .respLimits(respMaxConnections, perAddress(perAddress, respMaxConnections),
                Setting.RESP_IDLE_TIMEOUT.value(settings), Setting.RESP_COMMAND_TIMEOUT.value(settings))
            .receipts(receipts(settings, Path.of(dataDir)))
            .replication(replication(settings))
            .fetcherSessionTimeoutMs(Setting.FETCHER_SESSION_TIMEOUT.value(settings))
            .policy(new FilterPolicy(tacir))
            .push(push(settings))
            .tls(tls(settings))
            .indexOptions(new IndexOptions(entries, IndexOptions.DEFAULT_MAX_BLOAT_FACTOR,
                brand -> unbounded.contains(brand) ? 0 : boundMs).withMaxFutureSkewMs(skewMs)
                .withDiskReserve(reserveMib * MIB).withMapEntries(phoneEntries, emailEntries)
                .withDealerAccessTrusted(dealerTrusted::contains)
                .withDealerAccessFreshFor(brand -> dealerFreshFor.getOrDefault(brand,
                    dealerFreshFor.getOrDefault(0L, 0L))));
    }

    /**
     * @return the role and the topic: a fetcher and a replica need the brokers, a fetcher a feed to follow, and a
     * replica is refused any İYS setting (it holds no credentials; the fetcher alone talks to İYS).
     */
    /**
     * The İYS push receiver (docs/PUSH.md): off unless {@code push-port} is set.
     */
    private static PushSettings push(final Properties settings)
    {
        final int port = Setting.PUSH_PORT.value(settings);
        final String credentials = Setting.PUSH_CREDENTIALS_FILE.value(settings);
        if (port < 0)
        {
            return PushSettings.OFF;
        }
        if (credentials.isBlank())
        {
            throw new UsageException("push-credentials-file: none (expected: a file of push credentials with " +
                "push-port; ./iys-filter push credentials writes one)");
        }
        warnIfOthersMayRead(Path.of(credentials.trim()), "push credentials file");
        return new PushSettings(port, Setting.PUSH_BIND_ADDRESS.value(settings), Setting.PUSH_PATH.value(settings),
            Path.of(credentials.trim()), (int)(Setting.PUSH_MAX_BODY_KB.value(settings) * 1024),
            Setting.PUSH_MAX_RECORDS.value(settings).intValue(), Setting.PUSH_RATE.value(settings).intValue(),
            Setting.PUSH_MAX_CONNECTIONS.value(settings).intValue(), Setting.HTTP_IDLE_TIMEOUT.value(settings),
            Setting.PUSH_REQUEST_TIMEOUT.value(settings), Setting.AUTH_FAILURE_LIMIT.value(settings).intValue());
    }

    private static ReplicationSettings replication(final Properties settings)
    {
        final Role role = Setting.ROLE.value(settings);
        if (role == Role.REPLICA)
        {
            final List<String> given = new ArrayList<>();
            for (final String name : new TreeSet<>(settings.stringPropertyNames()))
            {
                final Setting<?> setting = Setting.forKey(name);
                if (setting != null && setting.group() == Setting.Group.FEED)
                {
                    given.add(name);
                }
            }
            if (!given.isEmpty())
            {
                throw new UsageException("role: a replica holds no İYS credentials and follows no feed, but " +
                    String.join(", ", given) + (given.size() == 1 ? " is" : " are") + " set (remove " +
                    (given.size() == 1 ? "it" : "them") + ", and IYS_USERNAME / IYS_PASSWORD from its environment; " +
                    "only the fetcher talks to İYS)");
            }
        }
        if (role == Role.FETCHER && Setting.IYS_BASE_URL.value(settings).isBlank())
        {
            throw new UsageException("role: a fetcher follows İYS, but iys-base-url is missing");
        }
        final String propertiesFile = Setting.KAFKA_PROPERTIES.value(settings).trim();
        if (!propertiesFile.isEmpty())
        {
            if (!Files.isReadable(Path.of(propertiesFile)))
            {
                throw new UsageException("kafka-properties: cannot read " + propertiesFile);
            }
            warnIfOthersMayRead(Path.of(propertiesFile), "Kafka properties file");
        }
        final String bootstrap = Setting.KAFKA_BOOTSTRAP.value(settings).trim();
        try
        {
            return new ReplicationSettings(role, bootstrap.isEmpty() ? null : bootstrap,
                propertiesFile.isEmpty() ? null : Path.of(propertiesFile), Setting.REPLICATION_TOPIC.value(settings),
                Setting.REPLICATION_PARTITIONS.value(settings).intValue(),
                Setting.REPLICATION_FACTOR.value(settings).shortValue());
        }
        catch (final IllegalArgumentException ex)
        {
            throw new UsageException(ex.getMessage());
        }
    }

    /**
     * @return the receipts' settings, or null when {@code receipts=off}.
     */
    private static ReceiptSettings receipts(final Properties settings, final Path dataDir)
    {
        if (!Setting.RECEIPTS.value(settings))
        {
            return null;
        }
        final String directory = Setting.RECEIPTS_DIR.value(settings).trim();
        return new ReceiptSettings(directory.isEmpty() ? dataDir.resolve(ReceiptSettings.DIRECTORY_DEFAULT) :
            Path.of(directory), Setting.RECEIPTS_POLICY.value(settings),
            Setting.RECEIPTS_RETENTION_DAYS.value(settings).intValue(),
            Setting.RECEIPTS_QUEUE_SIZE.value(settings).intValue());
    }

    /**
     * @return TLS for the binary and HTTP listeners, or null when {@code tls-cert-file} is not set (then no other
     * {@code tls-*} file may be).
     */
    private static TlsSettings tls(final Properties settings)
    {
        final String certFile = Setting.TLS_CERT_FILE.value(settings).trim();
        final String keyFile = Setting.TLS_KEY_FILE.value(settings).trim();
        final String caFile = Setting.TLS_CLIENT_CA_FILE.value(settings).trim();
        final TlsSettings.ClientAuth auth = Setting.TLS_CLIENT_AUTH.value(settings);
        if (certFile.isEmpty())
        {
            if (!keyFile.isEmpty() || !caFile.isEmpty() || auth != null)
            {
                throw new UsageException("tls-cert-file: missing (tls-key-file, tls-client-ca-file and " +
                    "tls-client-auth apply only with it)");
            }
            return null;
        }
        if (keyFile.isEmpty())
        {
            throw new UsageException("tls-key-file: missing (expected: the PEM PKCS#8 key of tls-cert-file)");
        }
        warnIfOthersMayRead(Path.of(keyFile), "TLS key file");
        try
        {
            return new TlsSettings(Path.of(certFile), Path.of(keyFile), caFile.isEmpty() ? null : Path.of(caFile),
                auth != null ? auth : caFile.isEmpty() ? TlsSettings.ClientAuth.NONE : TlsSettings.ClientAuth.REQUIRE,
                Setting.TLS_PROTOCOLS.value(settings), Setting.TLS_PROVIDER.value(settings),
                Setting.TLS_RELOAD_INTERVAL.value(settings), Setting.TLS_HANDSHAKE_TIMEOUT.value(settings));
        }
        catch (final IllegalArgumentException ex)
        {
            throw new UsageException(ex.getMessage());
        }
    }

    /**
     * @return the per-address limit: as set, or for {@code auto} (-1) an eighth of the endpoint's cap, at least 1.
     */
    private static int perAddress(final int setting, final int cap)
    {
        return setting >= 0 ? setting : Math.max(1, cap / 8);
    }

    /**
     * @return one FeedSettings per service provider in {@code iys-code}, each with the shared login and brands
     * unless {@code iys.<code>.username|password|brands} override them.
     */
    static List<FeedSettings> feeds(final Properties settings)
    {
        final String baseUrl = Setting.IYS_BASE_URL.value(settings);
        if (baseUrl.isBlank())
        {
            return List.of();
        }
        required(settings, Setting.IYS_CODE);
        final List<Long> codes = Setting.IYS_CODE.value(settings);
        if (codes.isEmpty())
        {
            throw new UsageException("iys-code: missing");
        }
        final List<FeedSettings> providers = new ArrayList<>();
        for (final long code : codes)
        {
            final String prefix = "iys." + code + ".";
            final String username = settings.getProperty(prefix + "username", settings.getProperty("iys-username"));
            final String password = password(settings, prefix);
            if (username == null || password == null)
            {
                throw new UsageException("iys-username and the password (or " + prefix + "username and " +
                    prefix + "password-file): missing (expected: iys-username or IYS_USERNAME, and " +
                    "iys-password-file or IYS_PASSWORD in the environment)");
            }
            final String ownBrands = settings.getProperty(prefix + "brands");
            final List<Long> brands = Setting.IYS_BRANDS.parse(ownBrands != null ? ownBrands :
                required(settings, Setting.IYS_BRANDS));
            try
            {
                providers.add(new FeedSettings(URI.create(baseUrl.trim()), code, username, password, brands,
                    Setting.IYS_POLL_INTERVAL.value(settings), Setting.IYS_PAGE_SIZE.value(settings).intValue(),
                    Setting.IYS_RECENT_EXCLUSION.value(settings), Setting.IYS_DURABILITY.value(settings),
                    Setting.IYS_REQUEST_TIMEOUT.value(settings), Setting.IYS_MAX_RESPONSE_MB.value(settings) * MIB,
                    Setting.IYS_ALLOW_INSECURE_HTTP.value(settings)));
            }
            catch (final IllegalArgumentException ex)
            {
                throw new UsageException(ex.getMessage());
            }
        }
        return providers;
    }

    /**
     * @return a provider's password: its own file, else the shared password from the environment, else the shared
     * file; null when none is given.
     */
    private static String password(final Properties settings, final String prefix)
    {
        final String ownFile = settings.getProperty(prefix + "password-file");
        if (ownFile != null && !ownFile.isBlank())
        {
            return readPasswordFile(prefix + "password-file", ownFile);
        }
        final String shared = settings.getProperty(Setting.IYS_PASSWORD.name());
        if (shared != null && !shared.isEmpty())
        {
            return shared;
        }
        final String sharedFile = settings.getProperty(Setting.IYS_PASSWORD_FILE.name());
        return sharedFile == null || sharedFile.isBlank() ? null :
            readPasswordFile(Setting.IYS_PASSWORD_FILE.name(), sharedFile);
    }

    private static String required(final Properties settings, final Setting<?> setting)
    {
        final String value = settings.getProperty(setting.name());
        if (value == null || value.isBlank())
        {
            throw new UsageException(setting.name() + ": missing");
        }
        return value;
    }
}
