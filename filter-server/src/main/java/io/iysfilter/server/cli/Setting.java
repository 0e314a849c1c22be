package io.iysfilter.server.cli;

import io.iysfilter.server.FilterServer;
import io.iysfilter.server.http.HttpSettings;
import io.iysfilter.server.index.IndexOptions;
import io.iysfilter.server.iys.FeedSettings;
import io.iysfilter.server.milter.MilterEndpoint;
import io.iysfilter.server.milter.MilterSettings;
import io.iysfilter.server.net.PeerAllowList;
import io.iysfilter.server.net.TlsSettings;
import io.iysfilter.server.push.PushSettings;
import io.iysfilter.server.receipts.ReceiptQueue;
import io.iysfilter.server.receipts.ReceiptSettings;
import io.iysfilter.server.replication.FetcherElection;
import io.iysfilter.server.replication.ReplicationSettings;
import io.iysfilter.server.replication.Role;
import io.iysfilter.server.resp.RespEndpoint;
import io.iysfilter.server.security.FailureLimiter;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Pattern;

/**
 * One setting of {@code serve}, declared once: its name, value label, type (a parser that validates a value and
 * names the setting in its error), default, description and where it may come from. The command-line options, the
 * config file's keys, the {@code IYS_FILTER_*} environment variables, {@code --print-config}, {@code serve --help}
 * and the README's settings tables (checked by {@code SettingsDocumentationTest}) are all made from {@link #ALL}.
 * <p>
 * Precedence, lowest first: the default; for {@link #IYS_USERNAME} and {@link #IYS_PASSWORD} the plain
 * {@code IYS_USERNAME} / {@code IYS_PASSWORD} variables when the config file does not set them; the config file
 * ({@code --config}); the environment variable {@code IYS_FILTER_} + the name upper-cased with {@code _} for
 * {@code -}; the option {@code --NAME}. Per-provider settings ({@code iys.CODE.username} and so on) come from the
 * config file only.
 *
 * @param <T> the type of its value.
 */
final class Setting<T>
{
    /**
     * Which of the README's tables describes it: the server's, or the change feed's.
     */
    enum Group
    {
        SERVE,
        FEED
    }

    /**
     * Reads a value.
     *
     * @param <T> the type of the value.
     */
    @FunctionalInterface
    interface Parser<T>
    {
        /**
         * @param name the setting, for the error.
         * @param text its text.
         * @return the value.
         * @throws UsageException when the text is no valid value, naming the setting and what it accepts.
         */
        T parse(String name, String text);
    }

    private static final List<Setting<?>> DECLARED = new ArrayList<>();
    private static final long MIB = 1024 * 1024;
    private static final long MAX_CODE = 0xFFFF_FFFFL;
    private static final Map<Character, Long> UNITS =
        Map.of('s', 1_000L, 'm', 60_000L, 'h', 3_600_000L, 'd', 86_400_000L);
    private static final Pattern TOPIC = Pattern.compile("[a-zA-Z0-9._-]{1,249}");

    static final Setting<String> DATA_DIR = of("data-dir", "DIR", Setting::text, "",
        "brand indexes (created if missing)").shownAs("(required)");
    static final Setting<String> BIND = of("bind", "ADDR", Setting::text, FilterServer.Context.BIND_ADDRESS_DEFAULT,
        "listen address of the binary, HTTP, RESP and milter ports; beyond loopback (`0.0.0.0`, an interface) only " +
        "with " +
        "TLS and authentication, the milter with `milter-allow`, else refused unless `insecure-plaintext=true`");
    static final Setting<Integer> PORT = of("port", "N", Setting::port,
        Integer.toString(FilterServer.Context.BINARY_PORT_DEFAULT), "binary protocol port");
    static final Setting<Integer> HTTP_PORT = of("http-port", "N", Setting::port,
        Integer.toString(FilterServer.Context.HTTP_PORT_DEFAULT), "HTTP API port");
    static final Setting<Long> HTTP_MAX_CONNECTIONS = of("http-max-connections", "N", range(1, 1_000_000),
        Integer.toString(HttpSettings.MAX_CONNECTIONS_DEFAULT),
        "concurrent HTTP connections; more get 503 and are closed");
    static final Setting<Long> HTTP_IDLE_TIMEOUT = of("http-idle-timeout", "D", Setting::timeout,
        HttpSettings.IDLE_TIMEOUT_MS_DEFAULT / 1000 + "s",
        "an HTTP connection with no request in progress and no answer owed for this long is closed");
    static final Setting<Long> HTTP_REQUEST_TIMEOUT = of("http-request-timeout", "D", Setting::timeout,
        HttpSettings.REQUEST_TIMEOUT_MS_DEFAULT / 1000 + "s",
        "an HTTP request must arrive whole within this long of its first byte (else 408 and close); a streamed " +
        "`/v1/scrub` or `/v1/reconcile` body may not pause, nor its client stop reading answers, for longer");
    static final Setting<Long> HTTP_MAX_BODY_MB = of("http-max-body-mb", "N", range(1, 1L << 20),
        Long.toString(HttpSettings.MAX_BODY_MB_DEFAULT),
        "largest `/v1/reconcile` body (MiB) spooled to disk; more gets 413 and the connection is closed");
    static final Setting<Long> IO_THREADS = of("io-threads", "N", range(1, 256),
        Integer.toString(Runtime.getRuntime().availableProcessors()), "event-loop threads")
        .shownAs("number of cores");
    static final Setting<Boolean> BUSY_POLL = of("busy-poll", "B", Setting::bool, "false",
        "event loops poll without sleeping: lower latency where waking a thread is slow (VMs), each thread burns " +
        "a core (docs/PERFORMANCE.md)");
    static final Setting<Long> MAX_CONNECTIONS = of("max-connections", "N", range(1, 1_000_000),
        Integer.toString(FilterServer.Context.MAX_CONNECTIONS_DEFAULT),
        "concurrent binary connections; more get ERROR TOO_MANY_CONNECTIONS");
    static final Setting<Long> BINARY_IDLE_TIMEOUT = of("binary-idle-timeout", "D", Setting::duration, "5m",
        "a binary connection that completes no frame for this long gets ERROR IDLE_TIMEOUT and is closed; `off` " +
        "for never");
    static final Setting<Long> BINARY_FRAME_TIMEOUT = of("binary-frame-timeout", "D", Setting::duration, "10s",
        "a binary frame, once begun, must be complete within this long, else ERROR FRAME_TIMEOUT and the " +
        "connection is closed; `off` for never");
    static final Setting<Integer> RESP_PORT = of("resp-port", "N|off", Setting::portOrOff,
        Integer.toString(RespEndpoint.PORT_DEFAULT), "RESP (Redis protocol) port on the `bind` address: `IYS.CHECK`, " +
        "`IYS.MCHECK` from any Redis client (docs/RESP.md); `off` for none");
    static final Setting<Long> RESP_MAX_CONNECTIONS = of("resp-max-connections", "N", range(1, 1_000_000),
        Integer.toString(RespEndpoint.MAX_CONNECTIONS_DEFAULT),
        "concurrent RESP connections; more get `-ERR max number of clients reached` and are closed");
    static final Setting<Long> RESP_IDLE_TIMEOUT = of("resp-idle-timeout", "D", Setting::duration,
        RespEndpoint.IDLE_TIMEOUT_MS_DEFAULT / 60_000 + "m",
        "a RESP connection that completes no command for this long is closed; `off` for never");
    static final Setting<Long> RESP_COMMAND_TIMEOUT = of("resp-command-timeout", "D", Setting::duration,
        RespEndpoint.COMMAND_TIMEOUT_MS_DEFAULT / 1000 + "s",
        "a RESP command, once begun, must be complete within this long, else an error and the connection is " +
        "closed (with a clients file, also the time to authenticate after connecting); `off` for never");
    static final Setting<Integer> MILTER_PORT = of("milter-port", "N|off", Setting::portOrOff,
        Integer.toString(MilterEndpoint.PORT_DEFAULT), "milter endpoint for Postfix/Sendmail; `off` for none");
    static final Setting<String> MILTER_BRAND_MAP = of("milter-brand-map", "FILE", Setting::text, "",
        "file of `auth:USER`, `sender:ADDRESS` and `domain:DOMAIN` = `BRAND [KIND] [dealer=CODE]` lines naming a " +
        "message's brand, and the dealer for a dealer's sender (see the milter section below)").shownAs("(none)");
    static final Setting<Boolean> MILTER_BRAND_HEADER = of("milter-brand-header", "B", Setting::bool, "false",
        "let an `X-IYS-Brand` header name the brand when the map does not");
    static final Setting<Boolean> MILTER_REJECT_AT_RCPT = of("milter-reject-at-rcpt", "B", Setting::bool, "false",
        "refuse recipients without consent at RCPT time instead of removing them at end of message");
    static final Setting<Boolean> MILTER_KIND_HEADER = of("milter-kind-header", "B", Setting::bool, "false",
        "let an `X-IYS-Kind: TRANSACTIONAL` header skip the consent check when the map names no kind; off, the " +
        "header is ignored and the map's kind (default COMMERCIAL) applies");
    static final Setting<Long> MILTER_MAX_CONNECTIONS = of("milter-max-connections", "N", range(1, 100_000),
        Integer.toString(MilterSettings.MAX_CONNECTIONS_DEFAULT),
        "concurrent MTA connections; more are closed at once (the MTA applies `milter_default_action`)");
    static final Setting<Long> MILTER_IDLE_TIMEOUT = of("milter-idle-timeout", "D", Setting::timeout,
        MilterSettings.IDLE_TIMEOUT_MS_DEFAULT / 60_000 + "m", "an MTA connection with no packet for this long is " +
        "closed");
    static final Setting<Long> MILTER_PACKET_TIMEOUT = of("milter-packet-timeout", "D", Setting::timeout,
        MilterSettings.PACKET_TIMEOUT_MS_DEFAULT / 1_000 + "s", "a milter packet begun and not complete within " +
        "this long closes the connection");
    static final Setting<Boolean> TACIR_REQUIRES_RECORD = of("tacir-requires-record", "B", Setting::bool, "true",
        "TACIR recipient with no record: `true` DENY / NO_CONSENT, `false` ALLOW / TACIR_NO_RECORD (İYS sources " +
        "disagree; the default cannot cost a fine)");
    static final Setting<Long> FRESHNESS_BOUND = of("freshness-bound", "D", Setting::duration, "72h",
        "age (`s`, `m`, `h`, `d`) past which commercial answers are DENY / STALE; `off` for none");
    static final Setting<List<Long>> UNBOUNDED_BRANDS = of("unbounded-brands", "C,C", Setting::codes, "",
        "comma-separated brand codes whose data is imported only: no freshness bound").shownAs("(none)");
    static final Setting<List<Long>> DEALER_ACCESS_TRUST_FEED = of("dealer-access-trust-feed", "C,C",
        Setting::codes, "", "comma-separated brand codes whose dealer checks trust the change feed's retailerAccess " +
        "(docs/INDEX.md \"Dealer decisions\"); for every other brand a dealer's check of an ONAY is DENY / " +
        "DEALER_ACCESS_UNKNOWN, since İYS's feed may not show access granted or removed alone").shownAs("(none)");
    static final Setting<Map<Long, Long>> DEALER_ACCESS_FRESH_FOR = of("dealer-access-fresh-for", "D|C=D,C=D",
        Setting::freshFor, "off", "how long a dealer list read from İYS's access-list call (iys-filter " +
        "reconcile --recipients) is known fresh: within it a dealer's check of an ONAY is decided on that list, " +
        "past it DENY / DEALER_ACCESS_UNKNOWN (docs/INDEX.md \"Dealer decisions\"); one duration for every brand, or " +
        "brand=duration pairs, or both (the bare one for the brands not named); off: never");
    static final Setting<Long> MAX_FUTURE_SKEW = of("max-future-skew", "D", Setting::skew, "5m",
        "a record whose creationDate lies further past this server's clock is refused, on every path (a record " +
        "from the future would beat every real one); cannot be off");
    static final Setting<Long> ENTRIES_PER_MAP = of("entries-per-map", "N", range(1_000, 4_000_000_000L),
        Long.toString(IndexOptions.DEFAULT_ENTRIES_PER_MAP), "sizing of a new brand's phone and e-mail maps");
    static final Setting<Long> PHONE_ENTRIES = of("phone-entries", "N", range(1_000, 4_000_000_000L),
        Long.toString(IndexOptions.DEFAULT_ENTRIES_PER_MAP), "sizing of a new brand's phone map alone (a brand's " +
        "file reserves disk for it at once)").shownAs("`entries-per-map`");
    static final Setting<Long> EMAIL_ENTRIES = of("email-entries", "N", range(1_000, 4_000_000_000L),
        Long.toString(IndexOptions.DEFAULT_ENTRIES_PER_MAP), "sizing of a new brand's e-mail map alone")
        .shownAs("`entries-per-map`");
    static final Setting<Long> DISK_RESERVE_MB = of("disk-reserve-mb", "N", range(0, 1L << 30),
        Long.toString(IndexOptions.DEFAULT_DISK_RESERVE_BYTES / MIB),
        "MiB the data directory's file system keeps usable: below it every change and opt-out is refused as " +
        "\"disk full\" (opt-outs get 507) instead of growing a map into space that is not there; `0` switches the " +
        "guard off (docs/OPERATIONS.md \"When the disk fills up\")");
    // --- decision receipts (docs/OPERATIONS.md "Decision receipts") ---
    static final Setting<Boolean> RECEIPTS = of("receipts", "on|off", (name, text) -> choice(name, text, "on", "off"),
        "on", "journal every decision as a receipt with a decision id (run, then sequence), written through a " +
        "memory-mapped queue by one drain thread; `off` records nothing and every answer's id is 0");
    static final Setting<String> RECEIPTS_DIR = of("receipts-dir", "DIR", Setting::text, "",
        "where the receipts live: `run`, `queue`, `parties-RUN` and a directory per UTC day")
        .shownAs("`DATA_DIR/receipts`");
    static final Setting<Boolean> RECEIPTS_POLICY = of("receipts-policy", "deny|allow",
        (name, text) -> choice(name, text, "allow", "deny"), "deny", "a decision the journal cannot record (queue " +
        "full, disk failed): `deny` turns its ALLOW into DENY / RECEIPT_UNAVAILABLE, `allow` serves it unrecorded; " +
        "counted either way, and `/health/ready` names the journal");
    static final Setting<Long> RECEIPTS_RETENTION_DAYS = of("receipts-retention-days", "N", range(1, 36_500),
        Integer.toString(ReceiptSettings.RETENTION_DAYS_DEFAULT), "days of receipts kept; older days are deleted " +
        "at start and once a day");
    static final Setting<Long> RECEIPTS_QUEUE_SIZE = of("receipts-queue-size", "N", Setting::queueSlots,
        Integer.toString(ReceiptSettings.QUEUE_SLOTS_DEFAULT), "slots of the receipts queue (a power of two, 64 " +
        "bytes each in the file `queue`): decisions the disk may fall behind by before they go unrecorded");
    // --- TLS on the binary, HTTP and RESP listeners (docs/OPERATIONS.md "TLS"); on when tls-cert-file is set ---
    static final Setting<String> TLS_CERT_FILE = of("tls-cert-file", "FILE", Setting::text, "",
        "PEM certificate chain, the server's first: the binary, HTTP and RESP listeners then speak TLS only (the " +
        "milter stays plaintext); refused at start when unreadable, expired or not the key's")
        .shownAs("(none: plaintext)");
    static final Setting<String> TLS_KEY_FILE = of("tls-key-file", "FILE", Setting::text, "",
        "the certificate's private key, PEM PKCS#8 unencrypted (`BEGIN PRIVATE KEY`); a warning when group or " +
        "others may read it").shownAs("(required with `tls-cert-file`)");
    static final Setting<String> TLS_CLIENT_CA_FILE = of("tls-client-ca-file", "FILE", Setting::text, "",
        "PEM certificates of the CA that signs the clients' certificates (mutual TLS)").shownAs("(none)");
    static final Setting<TlsSettings.ClientAuth> TLS_CLIENT_AUTH = of("tls-client-auth", "none|optional|require",
        Setting::clientAuth, "", "client certificates: `require` refuses a handshake without one the client CA " +
        "signed, `optional` asks and accepts none, `none` does not ask")
        .shownAs("`require` with `tls-client-ca-file`, else `none`");
    static final Setting<List<String>> TLS_PROTOCOLS = of("tls-protocols", "P,P", Setting::protocols,
        String.join(",", TlsSettings.PROTOCOLS_DEFAULT), "`TLSv1.3`, or `TLSv1.3,TLSv1.2` for clients that cannot " +
        "do 1.3; anything older is refused at start");
    static final Setting<TlsSettings.Provider> TLS_PROVIDER = of("tls-provider", "auto|openssl|jdk",
        Setting::provider, "auto", "TLS engine: `openssl` (BoringSSL, bundled for linux-x86_64) or refuse to " +
        "start, `jdk`, or `auto`: OpenSSL when it loads, else the JDK's (the start-up log says which)");
    static final Setting<Long> TLS_RELOAD_INTERVAL = of("tls-reload-interval", "D", Setting::duration,
        TlsSettings.RELOAD_INTERVAL_MS_DEFAULT / 1000 + "s", "how often the certificate and key files are " +
        "compared with those loaded; a changed pair that checks out serves new connections, a bad one is logged " +
        "and the old kept; `off` for never");
    static final Setting<Long> TLS_HANDSHAKE_TIMEOUT = of("tls-handshake-timeout", "D", Setting::timeout,
        TlsSettings.HANDSHAKE_TIMEOUT_MS_DEFAULT / 1000 + "s", "a connection whose TLS handshake is not done " +
        "within this long is closed");
    // --- who may reach which port (docs/SECURITY.md, docs/OPERATIONS.md "Binding and the admin listener") ---
    static final Setting<Boolean> INSECURE_PLAINTEXT = of("insecure-plaintext", "B", Setting::bool, "false",
        "start even when a port is reachable beyond loopback without TLS and authentication (the milter without " +
        "`milter-allow`); warned at start, `iys_insecure_plaintext` reads 1 and `/health/ready` says so. Off, such " +
        "a `bind` is refused");
    static final Setting<String> ADMIN_BIND_ADDRESS = of("admin-bind-address", "ADDR", Setting::text,
        FilterServer.Context.ADMIN_BIND_ADDRESS_DEFAULT, "listen address of the admin listener (`admin-port`)");
    static final Setting<Integer> ADMIN_PORT = of("admin-port", "N|off", Setting::portOrOff, "off",
        "admin listener: `/metrics`, `/v1/brands` and `/health/ready` with its details move there from the HTTP " +
        "port (which keeps `/health`, `/health/live` and a bare `/health/ready`); `off` serves them on the HTTP port");
    static final Setting<String> MILTER_SOCKET = of("milter-socket", "PATH", Setting::text, "",
        "Unix domain socket for the milter (Postfix `unix:PATH`), mode 0660, a stale one replaced; set, the milter " +
        "listens on TCP only if `milter-port` is given too").shownAs("(none)");
    static final Setting<String> MILTER_ALLOW = of("milter-allow", "A,CIDR", Setting::peers, "",
        "peer addresses and CIDR blocks allowed on the milter's TCP port, others closed at accept; required when " +
        "`bind` is beyond loopback and the milter port is on").shownAs("(any)");
    static final Setting<Integer> MAX_CONNECTIONS_PER_ADDRESS = of("max-connections-per-address", "N|auto|off",
        Setting::perAddress, "auto", "concurrent binary, HTTP, and RESP, connections from one peer address; " +
        "more are refused as past the cap (ERROR TOO_MANY_CONNECTIONS, 503, `-ERR`), so a few hosts cannot hold the " +
        "whole cap; `auto` is an eighth of each cap (`max-connections`, `http-max-connections`, " +
        "`resp-max-connections`)");
    // --- personal data at rest and secrets (docs/SECURITY.md) ---
    static final Setting<String> KEY_FILE = of("key-file", "FILE", Setting::text, "",
        "the index key: 32 random bytes, created on first use with mode 0600 and refused when group or others may " +
        "read it; lost or replaced, every brand is refused as INDEX_DAMAGED until imported again (docs/SECURITY.md)")
        .shownAs("`DATA_DIR.key`, beside the data directory");
    static final Setting<Boolean> LOG_RECIPIENTS = of("log-recipients", "masked|full",
        (name, text) -> choice(name, text, "full", "masked"), "masked",
        "recipients in logs, quarantine files and milter audit lines: `masked` (`+90532*****67`, `a***@example.com`) " +
        "or `full`");
    // --- authentication and authorisation (docs/SECURITY.md §8) ---
    static final Setting<String> CLIENTS_FILE = of("clients-file", "FILE", Setting::text, "",
        "the clients: per client its roles, brands, token digests and certificate CN (docs/SECURITY.md); set, " +
        "authentication is on and every request must name a client; validated at start, re-read when it changes " +
        "(a bad new file keeps the old clients); a warning when group or others may read it")
        .shownAs("(none: authentication off)");
    static final Setting<Long> AUTH_FAILURE_LIMIT = of("auth-failure-limit", "N", range(1, 1_000_000),
        Integer.toString(FailureLimiter.LIMIT_DEFAULT),
        "failed authentications a source address may make in a minute; past it its attempts are refused unchecked " +
        "(ERROR UNAUTHORISED or 401) and closed until the minute ends");
    static final Setting<Long> SCRUB_ROWS_PER_SECOND = of("scrub-rows-per-second", "N", range(0, 1_000_000_000),
        "0", "rows a second `/v1/scrub` reads per client (per source address with authentication off); faster " +
        "rows wait, the stream is slowed, not failed; `0` for no limit");
    // --- replication through Kafka (docs/REPLICATION.md) ---
    static final Setting<Role> ROLE = of("role", "standalone|fetcher|replica", Setting::role, "standalone",
        "`standalone` follows İYS alone; `fetcher` follows İYS and publishes every applied change, watermark and " +
        "cursor to `replication-topic` in Kafka transactions; `replica` holds no İYS credentials (refused if given) " +
        "and builds its index from the topic");
    static final Setting<String> KAFKA_BOOTSTRAP = of("kafka-bootstrap", "H:P,H:P", Setting::text, "",
        "the Kafka brokers of the replication topic; required for `fetcher` and `replica`").shownAs("(none)");
    static final Setting<String> KAFKA_PROPERTIES = of("kafka-properties", "FILE", Setting::text, "",
        "file of extra Kafka client properties (TLS, SASL: `security.protocol=SASL_SSL` and so on), read at start; " +
        "a warning when group or others may read it").shownAs("(none)");
    static final Setting<String> REPLICATION_TOPIC = of("replication-topic", "NAME", Setting::topic,
        ReplicationSettings.TOPIC_DEFAULT, "the compacted topic the fetcher publishes to and replicas read; one " +
        "per integrator (fleet)");
    static final Setting<Long> REPLICATION_PARTITIONS = of("replication-partitions", "N", range(1, 10_000),
        Integer.toString(ReplicationSettings.PARTITIONS_DEFAULT), "partitions of the topic when the fetcher creates " +
        "it (every record of a brand goes to one); an existing topic with another count is refused");
    static final Setting<Long> REPLICATION_FACTOR = of("replication-factor", "N", range(1, Short.MAX_VALUE),
        Short.toString(ReplicationSettings.REPLICATION_FACTOR_DEFAULT), "copies of each partition when the fetcher " +
        "creates the topic; `min.insync.replicas` is the cluster's");
    static final Setting<Long> FETCHER_SESSION_TIMEOUT = of("fetcher-session-timeout-ms", "MS",
        range(1_000, 300_000), Long.toString(FetcherElection.SESSION_TIMEOUT_MS_DEFAULT), "a fetcher's session in " +
        "the fetchers' election group (`iys-filter-fetchers.<topic>`): the active fetcher silent this long (killed, " +
        "paused, cut off) loses office to a standby; within the brokers' `group.min.session.timeout.ms` (6 s) and " +
        "`group.max.session.timeout.ms`");
    // --- İYS push (docs/PUSH.md) ---
    static final Setting<Integer> PUSH_PORT = of("push-port", "N|off", Setting::portOrOff, "off",
        "the İYS push receiver's own port (POST `push-path`, HTTP Basic from `push-credentials-file`): citizens' " +
        "changes İYS pushes are applied in seconds, beside the pull feed; `off` takes none");
    static final Setting<String> PUSH_BIND_ADDRESS = of("push-bind-address", "ADDR", Setting::text,
        PushSettings.BIND_ADDRESS_DEFAULT, "listen address of the push receiver; beyond loopback only with " +
        "`tls-cert-file` (İYS posts to HTTPS only), whatever `insecure-plaintext` says");
    static final Setting<String> PUSH_PATH = of("push-path", "PATH", Setting::text, PushSettings.PATH_DEFAULT,
        "the path İYS posts to; `PATH/{brandCode}` is taken too, and a record for another brand is set aside");
    static final Setting<String> PUSH_CREDENTIALS_FILE = of("push-credentials-file", "FILE", Setting::text, "",
        "the Basic credentials İYS presents, as salted PBKDF2 hashes (`username:pbkdf2-sha256:iterations:salt:hash`" +
        "); re-read when it changes; required with `push-port`").shownAs("(none)");
    static final Setting<Long> PUSH_MAX_RECORDS = of("push-max-records", "N", range(1, 100_000),
        Integer.toString(PushSettings.MAX_RECORDS_DEFAULT), "records one push may hold; more: 413, none taken");
    static final Setting<Long> PUSH_MAX_BODY_KB = of("push-max-body-kb", "N", range(1, 64 * 1024),
        Integer.toString(PushSettings.MAX_BODY_BYTES_DEFAULT / 1024), "KiB of the largest push body; more: 413");
    static final Setting<Long> PUSH_RATE = of("push-rate", "N", range(1, 100_000),
        Integer.toString(PushSettings.PUSHES_PER_SECOND_DEFAULT), "pushes taken a second (one second's burst); " +
        "more: 429");
    static final Setting<Long> PUSH_MAX_CONNECTIONS = of("push-max-connections", "N", range(1, 100_000),
        Integer.toString(PushSettings.MAX_CONNECTIONS_DEFAULT), "concurrent connections to the push receiver; more: " +
        "503 and closed");
    static final Setting<Long> PUSH_REQUEST_TIMEOUT = of("push-request-timeout", "D", Setting::timeout,
        PushSettings.REQUEST_TIMEOUT_MS_DEFAULT / 1000 + "s", "a push must arrive whole within this long of its " +
        "first byte, else 408 (İYS waits 5 s for an answer)");
    static final Setting<String> IYS_PASSWORD_FILE = of("iys-password-file", "FILE", Setting::text, "",
        "file holding the API password (its first line), read at start; a warning when group or others may read " +
        "it").shownAs("(none)").feed();
    static final Setting<String> PROVIDER_PASSWORD_FILE = of("iys.<code>.password-file", "FILE", Setting::text, "",
        "config file only: file holding provider `<code>`'s own API password").shownAs("`iys-password-file`").feed()
        .configFileOnly("iys\\.\\d+\\.password-file");

    static final Setting<String> IYS_BASE_URL = of("iys-base-url", "URL", Setting::text, "",
        "İYS API base (or the emulator's), e.g. https://api.iys.org.tr").shownAs("(none: no feed)").feed();
    static final Setting<List<Long>> IYS_CODE = of("iys-code", "N,N", Setting::codes, "",
        "the service provider's İYS code, or several, comma-separated").shownAs("(required)").feed();
    static final Setting<String> IYS_USERNAME = of("iys-username", "U", Setting::text, "",
        "API user; the plain `IYS_USERNAME` variable applies when the config file does not set it")
        .shownAs("`$IYS_USERNAME`").feed().fallbackEnvironment("IYS_USERNAME");
    static final Setting<String> IYS_PASSWORD = of("iys-password", "P", Setting::text, "",
        "API password, from the environment only (`IYS_PASSWORD` or `IYS_FILTER_IYS_PASSWORD`): refused as a flag " +
        "(`ps` shows it) or in the config file; else use `iys-password-file`; never logged or printed")
        .shownAs("`$IYS_PASSWORD`").feed().fallbackEnvironment("IYS_PASSWORD").masked();
    static final Setting<List<Long>> IYS_BRANDS = of("iys-brands", "B,B|all", Setting::brands, "",
        "brand codes to follow, or `all` (what `GET /sps/{iysCode}/brands` lists at start); a brand without an " +
        "index gets one").shownAs("(required)").feed();
    static final Setting<String> PROVIDER_USERNAME = of("iys.<code>.username", "U", Setting::text, "",
        "config file only: provider `<code>`'s own API user; providers without one share `iys-username`, e.g. an SMS " +
        "aggregator's integrator (iş ortağı) login, and share its token").shownAs("`iys-username`").feed()
        .configFileOnly("iys\\.\\d+\\.username");
    static final Setting<String> PROVIDER_PASSWORD = of("iys.<code>.password", "P", Setting::text, "",
        "refused: a password is not kept in the config file; use `iys.<code>.password-file`").shownAs("(refused)")
        .feed().configFileOnly("iys\\.\\d+\\.password").masked();
    static final Setting<List<Long>> PROVIDER_BRANDS = of("iys.<code>.brands", "B,B|all", Setting::brands, "",
        "config file only: provider `<code>`'s own brands to follow").shownAs("`iys-brands`").feed()
        .configFileOnly("iys\\.\\d+\\.brands");
    static final Setting<Long> IYS_POLL_INTERVAL = of("iys-poll-interval", "D", Setting::duration, "60s",
        "time between polls of a brand").feed();
    static final Setting<Long> IYS_PAGE_SIZE = of("iys-page-size", "N", range(1, 999), "999",
        "`limit` per request, 1..999").feed();
    static final Setting<Long> IYS_RECENT_EXCLUSION = of("iys-recent-exclusion", "D", Setting::duration, "1h",
        "how recent movements İYS withholds from the feed (its documented hour; `off` for the emulator)").feed();
    static final Setting<Boolean> IYS_DURABILITY = of("iys-durability", "fsync|process", Setting::durability,
        "fsync", "`fsync`: the brand's index files are forced to disk before each cursor write (nothing lost even " +
        "in a machine crash); `process`: left to the page cache (nothing lost in a process crash)").feed();
    static final Setting<Long> IYS_REQUEST_TIMEOUT = of("iys-request-timeout", "D", Setting::timeout,
        FeedSettings.REQUEST_TIMEOUT_MS_DEFAULT / 60_000 + "m", "deadline of one request to İYS, from sending to " +
        "the last byte of the answer; a slower answer fails the request (the poll backs off and retries)").feed();
    static final Setting<Long> IYS_MAX_RESPONSE_MB = of("iys-max-response-mb", "N",
        range(1, FeedSettings.MAX_RESPONSE_BYTES_LIMIT / MIB), Long.toString(FeedSettings.MAX_RESPONSE_BYTES_DEFAULT /
        MIB), "MiB of the largest answer accepted from İYS, read as it arrives; a larger one fails the request (a " +
        "page of 999 records is under 1 MB, a daily file about 100 bytes a movement)").feed();
    static final Setting<Boolean> IYS_ALLOW_INSECURE_HTTP = of("iys-allow-insecure-http", "B", Setting::bool,
        "false", "accept an `http://` `iys-base-url` (the emulator); otherwise only `https://`, since the API " +
        "password is sent to it").feed();

    /**
     * Every setting, in the order of {@code --help}, {@code --print-config} and the README's tables.
     */
    static final List<Setting<?>> ALL = Collections.unmodifiableList(DECLARED);

    private final String name;
    private final String label;
    private final Parser<T> parser;
    private final String defaultValue;
    private final String description;
    private String shownDefault;
    private Group group = Group.SERVE;
    private String fallbackEnvironment;
    private Pattern configFileKeys;
    private boolean secret;

    private Setting(
        final String name, final String label, final Parser<T> parser, final String defaultValue,
        final String description)
    {
        this.name = name;
        this.label = label;
        this.parser = parser;
        this.defaultValue = defaultValue;
        this.description = description;
        this.shownDefault = "`" + defaultValue + "`";
    }

    private static <T> Setting<T> of(
        final String name, final String label, final Parser<T> parser, final String defaultValue,
        final String description)
    {
        final Setting<T> setting = new Setting<>(name, label, parser, defaultValue, description);
        DECLARED.add(setting);
        return setting;
    }

    private Setting<T> shownAs(final String shown)
    {
        this.shownDefault = shown;
        return this;
    }

    private Setting<T> feed()
    {
        this.group = Group.FEED;
        return this;
    }

    private Setting<T> fallbackEnvironment(final String variable)
    {
        this.fallbackEnvironment = variable;
        return this;
    }

    private Setting<T> configFileOnly(final String keys)
    {
        this.configFileKeys = Pattern.compile(keys);
        return this;
    }

    private Setting<T> masked()
    {
        this.secret = true;
        return this;
    }

    /**
     * @return the name: the option without its dashes and the config file's key.
     */
    String name()
    {
        return name;
    }

    /**
     * @return the option's value label in {@code --help}, e.g. {@code N}.
     */
    String label()
    {
        return label;
    }

    /**
     * @return the value used when no source gives one ({@code ""} for none).
     */
    String defaultValue()
    {
        return defaultValue;
    }

    /**
     * @return the default as the documentation shows it, in Markdown, e.g. {@code `7700`} or {@code (required)}.
     */
    String shownDefault()
    {
        return shownDefault;
    }

    /**
     * @return what it means, in Markdown (backquoted names and values).
     */
    String description()
    {
        return description;
    }

    /**
     * @return the README table it belongs to.
     */
    Group group()
    {
        return group;
    }

    /**
     * @return whether its value is never printed.
     */
    boolean secret()
    {
        return secret;
    }

    /**
     * @return whether it is an option and an environment variable too, not a config file key only.
     */
    boolean everywhere()
    {
        return configFileKeys == null;
    }

    /**
     * @return the environment variable that overrides the config file, e.g. {@code IYS_FILTER_HTTP_PORT}.
     */
    String environmentVariable()
    {
        return "IYS_FILTER_" + name.toUpperCase(Locale.ROOT).replace('-', '_');
    }

    /**
     * @return the variable used when neither the config file nor any other source sets it, or null.
     */
    String fallbackEnvironmentVariable()
    {
        return fallbackEnvironment;
    }

    /**
     * @param key a config file key.
     * @return whether the key is this setting's.
     */
    boolean isKey(final String key)
    {
        return configFileKeys == null ? name.equals(key) : configFileKeys.matcher(key).matches();
    }

    /**
     * @param text a value.
     * @return it parsed.
     * @throws UsageException when it is not a valid value.
     */
    T parse(final String text)
    {
        return parser.parse(name, text);
    }

    /**
     * @param settings the resolved settings.
     * @return this setting's value there, or its default.
     * @throws UsageException when the value is not valid.
     */
    T value(final Properties settings)
    {
        return parse(settings.getProperty(name, defaultValue));
    }

    /**
     * @param key a config file key.
     * @return the setting it names, or null.
     */
    static Setting<?> forKey(final String key)
    {
        for (final Setting<?> setting : ALL)
        {
            if (setting.isKey(key))
            {
                return setting;
            }
        }
        return null;
    }

    private static String text(final String name, final String text)
    {
        return text;
    }

    /**
     * @return the limit, 0 for off, -1 for auto.
     */
    private static Integer perAddress(final String name, final String text)
    {
        final String value = text.trim().toLowerCase(Locale.ROOT);
        if (value.equals("auto"))
        {
            return -1;
        }
        if (value.equals("off"))
        {
            return 0;
        }
        return (int)UsageException.parseLong(name, text, 1, 1_000_000);
    }

    private static String peers(final String name, final String text)
    {
        try
        {
            PeerAllowList.parse(text);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new UsageException(name + ": " + ex.getMessage());
        }
        return text;
    }

    private static Role role(final String name, final String text)
    {
        try
        {
            return Role.parse(text);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new UsageException(name + ": '" + text + "' (expected: standalone, fetcher or replica)");
        }
    }

    /**
     * @return a Kafka topic name: 1 to 249 of {@code a-z A-Z 0-9 . _ -}, not {@code .} or {@code ..}.
     */
    private static String topic(final String name, final String text)
    {
        final String value = text.trim();
        if (!TOPIC.matcher(value).matches() || value.equals(".") || value.equals(".."))
        {
            throw new UsageException(name + ": '" + text + "' (expected: a Kafka topic name, 1 to 249 of a-z, A-Z, " +
                "0-9, '.', '_', '-')");
        }
        return value;
    }

    private static Integer port(final String name, final String text)
    {
        return (int)UsageException.parseLong(name, text, 0, 65535);
    }

    private static Integer portOrOff(final String name, final String text)
    {
        return "off".equalsIgnoreCase(text.trim()) ? -1 : port(name, text);
    }

    private static Parser<Long> range(final long min, final long max)
    {
        return (name, text) -> UsageException.parseLong(name, text, min, max);
    }

    private static Long queueSlots(final String name, final String text)
    {
        final long slots = UsageException.parseLong(name, text, ReceiptQueue.MIN_SLOTS, ReceiptQueue.MAX_SLOTS);
        if (Long.bitCount(slots) != 1)
        {
            throw new UsageException(name + ": '" + text + "' (expected: a power of two, " + ReceiptQueue.MIN_SLOTS +
                ".." + ReceiptQueue.MAX_SLOTS + ")");
        }
        return slots;
    }

    private static Boolean bool(final String name, final String text)
    {
        final String value = text.trim().toLowerCase(Locale.ROOT);
        if (!value.equals("true") && !value.equals("false"))
        {
            throw new UsageException(name + ": '" + text + "' (expected: true or false)");
        }
        return Boolean.parseBoolean(value);
    }

    /**
     * @return milliseconds, or 0 for "off".
     */
    private static Long duration(final String name, final String text)
    {
        final String value = text.trim().toLowerCase(Locale.ROOT);
        if (value.equals("off"))
        {
            return 0L;
        }
        final Long unit = value.isEmpty() ? null : UNITS.get(value.charAt(value.length() - 1));
        if (unit == null)
        {
            throw new UsageException(name + ": '" + text + "' (expected: a number with s, m, h or d, or off)");
        }
        return UsageException.parseLong(name, value.substring(0, value.length() - 1), 1, 3650L * 86_400) * unit;
    }

    /**
     * @return per brand code the duration in ms; key 0 holds the one for every brand not named.
     */
    private static Map<Long, Long> freshFor(final String name, final String text)
    {
        final Map<Long, Long> durations = new HashMap<>();
        for (final String entry : text.split(","))
        {
            if (entry.isBlank())
            {
                continue;
            }
            final int equals = entry.indexOf('=');
            final long brand = equals < 0 ? 0 : UsageException.parseLong(name, entry.substring(0, equals).trim(), 1,
                MAX_CODE);
            if (durations.put(brand, duration(name, entry.substring(equals + 1))) != null)
            {
                throw new UsageException(name + ": '" + text + "' names " + (brand == 0 ? "the default" :
                    "brand " + brand) + " twice");
            }
        }
        return durations;
    }

    private static Long timeout(final String name, final String text)
    {
        final long timeoutMs = duration(name, text);
        if (timeoutMs <= 0)
        {
            throw new UsageException(name + ": 'off' (expected: a number with s, m, h or d; a timeout cannot be " +
                "switched off)");
        }
        return timeoutMs;
    }

    private static Long skew(final String name, final String text)
    {
        final long skewMs = duration(name, text);
        if (skewMs <= 0)
        {
            throw new UsageException(name + ": 'off' (expected: a number with s, m, h or d; the check cannot be " +
                "switched off, a record from the future would beat every real one)");
        }
        return skewMs;
    }

    private static List<Long> codes(final String name, final String text)
    {
        final List<Long> codes = new ArrayList<>();
        for (final String code : text.split(","))
        {
            if (!code.isBlank())
            {
                codes.add(UsageException.parseLong(name, code, 1, MAX_CODE));
            }
        }
        return codes;
    }

    /**
     * @return the brand codes, or an empty list for "all".
     */
    private static List<Long> brands(final String name, final String text)
    {
        if ("all".equalsIgnoreCase(text.trim()))
        {
            return List.of();
        }
        final List<Long> brands = codes(name, text);
        if (brands.isEmpty())
        {
            throw new UsageException(name + ": empty (expected: brand codes, or all)");
        }
        return brands;
    }

    private static Boolean durability(final String name, final String text)
    {
        final String value = text.trim().toLowerCase(Locale.ROOT);
        if (!value.equals("fsync") && !value.equals("process"))
        {
            throw new UsageException(name + ": '" + text + "' (expected: fsync or process)");
        }
        return value.equals("fsync");
    }

    /**
     * @return the client authentication, or null for "as the client CA file implies".
     */
    private static TlsSettings.ClientAuth clientAuth(final String name, final String text)
    {
        final String value = text.trim().toUpperCase(Locale.ROOT);
        if (value.isEmpty())
        {
            return null;
        }
        for (final TlsSettings.ClientAuth auth : TlsSettings.ClientAuth.values())
        {
            if (auth.name().equals(value))
            {
                return auth;
            }
        }
        throw new UsageException(name + ": '" + text + "' (expected: none, optional or require)");
    }

    private static TlsSettings.Provider provider(final String name, final String text)
    {
        final String value = text.trim().toUpperCase(Locale.ROOT);
        for (final TlsSettings.Provider provider : TlsSettings.Provider.values())
        {
            if (provider.name().equals(value))
            {
                return provider;
            }
        }
        throw new UsageException(name + ": '" + text + "' (expected: auto, openssl or jdk)");
    }

    private static List<String> protocols(final String name, final String text)
    {
        try
        {
            return TlsSettings.parseProtocols(text);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new UsageException(ex.getMessage());
        }
    }

    /**
     * @return true for {@code yes}, false for {@code no}; anything else is refused, naming both.
     */
    private static Boolean choice(final String name, final String text, final String yes, final String no)
    {
        final String value = text.trim().toLowerCase(Locale.ROOT);
        if (!value.equals(yes) && !value.equals(no))
        {
            throw new UsageException(name + ": '" + text + "' (expected: " + yes + " or " + no + ")");
        }
        return value.equals(yes);
    }
}
