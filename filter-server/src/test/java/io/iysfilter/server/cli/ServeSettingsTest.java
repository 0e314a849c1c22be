package io.iysfilter.server.cli;

import io.iysfilter.server.FilterServer;
import io.iysfilter.server.index.IndexOptions;
import io.iysfilter.server.receipts.ReceiptSettings;
import io.iysfilter.server.replication.ReplicationSettings;
import io.iysfilter.server.replication.Role;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ServeSettingsTest
{
    @TempDir
    Path dir;

    @Test
    void shouldReadSeveralProvidersWithSharedAndOwnLogins() throws Exception
    {
        final Path shared = secretFile("shared.password", "shared-secret\n");
        final Path own = secretFile("own.password", "own-secret");
        final Path config = Files.writeString(dir.resolve("iys-filter.properties"), String.join("\n",
            "data-dir = " + dir.resolve("data"),
            "iys-base-url = http://127.0.0.1:7780",
            "iys-allow-insecure-http = true",
            "iys-code = 700001, 700002, 700003",
            "iys-username = integrator",
            "iys-password-file = " + shared,
            "iys-brands = all",
            "iys.700002.brands = 600010,600011",
            "iys.700003.username = own-user",
            "iys.700003.password-file = " + own,
            "iys.700003.brands = 600020",
            "iys-poll-interval = 30s",
            "iys-durability = process",
            ""));
        final FilterServer.Context context = resolve(parse("--config", config.toString()));
        final var feeds = context.feeds();
        assertEquals(3, feeds.size());
        assertEquals(List.of(), feeds.get(0).brands(), "all: listed by İYS at start");
        assertEquals("integrator", feeds.get(0).username());
        assertEquals(List.of(600_010L, 600_011L), feeds.get(1).brands());
        assertEquals("integrator", feeds.get(1).username(), "an integrator login shared by two providers");
        assertEquals("own-user", feeds.get(2).username());
        assertEquals(30_000, feeds.get(2).pollIntervalMs());
        assertTrue(!feeds.get(2).fsync());
        assertTrue(!feeds.get(0).toString().contains("shared-secret"), "passwords are masked");
        assertEquals("shared-secret", feeds.get(1).password(), "the password file's first line");
        assertEquals("own-secret", feeds.get(2).password());
    }

    @Test
    void shouldRefuseThePasswordAsAFlagOrInTheConfigFileAndSayWhereItGoes() throws Exception
    {
        final UsageException flag = assertThrows(UsageException.class, () -> read(parse("--data-dir",
            dir.toString(), "--iys-password", "p"), Map.of()));
        assertTrue(flag.getMessage().startsWith("iys-password: refused from flag --iys-password") &&
            flag.getMessage().contains("iys-password-file") && flag.getMessage().contains("IYS_PASSWORD"),
            flag.getMessage());
        final Path config = Files.writeString(dir.resolve("pw.properties"),
            "data-dir = " + dir + "\niys.700001.password = own-secret\n");
        final UsageException inFile = assertThrows(UsageException.class,
            () -> read(parse("--config", config.toString()), Map.of()));
        assertTrue(inFile.getMessage().contains("iys.700001.password: refused from config") &&
            inFile.getMessage().contains("iys.700001.password-file") && !inFile.getMessage().contains("own-secret"),
            inFile.getMessage());
    }

    @Test
    void shouldMaskUserInfoOfTheBaseUrlInPrintConfig() throws Exception
    {
        final String described = ServeSettings.describe(read(parse("--data-dir", dir.toString(), "--iys-base-url",
            "https://user:pw@api.iys.example/", "--iys-code", "700001", "--iys-brands", "600001", "--iys-username",
            "u"), Map.of("IYS_PASSWORD", "p")));
        assertTrue(described.contains("https://****@api.iys.example/") && !described.contains("user:pw"),
            described);
    }

    @Test
    void shouldRefuseAnHttpIysBaseUrlUnlessAllowedAndBoundEachRequest() throws Exception
    {
        final String[] feed = {"--data-dir", dir.toString(), "--iys-base-url", "http://127.0.0.1:7780",
            "--iys-code", "700001", "--iys-brands", "600001", "--iys-username", "u", "--iys-password-file",
            secretFile("p.password", "p").toString()};
        final UsageException clear = assertThrows(UsageException.class, () -> resolve(parse(feed)));
        assertTrue(clear.getMessage().startsWith("iys-base-url: 'http://127.0.0.1:7780' (expected: an https:// URL") &&
            clear.getMessage().contains("iys-allow-insecure-http=true"), clear.getMessage());

        final String[] allowed = Stream.concat(Arrays.stream(feed),
            Stream.of("--iys-allow-insecure-http", "true", "--iys-request-timeout", "20s",
                "--iys-max-response-mb", "3")).toArray(String[]::new);
        final var emulated = resolve(parse(allowed)).feeds().get(0);
        assertEquals(20_000, emulated.requestTimeoutMs());
        assertEquals(3L << 20, emulated.maxResponseBytes());

        final String[] secure = feed.clone();
        secure[3] = "https://api.iys.org.tr";
        final var production = resolve(parse(secure)).feeds().get(0);
        assertEquals(120_000, production.requestTimeoutMs(), "default deadline: 2m");
        assertEquals(256L << 20, production.maxResponseBytes(), "default cap: 256 MiB");
        assertTrue(!production.allowInsecureHttp());
    }

    @Test
    void shouldMapTheMilterLimitsAndTheKindHeaderSwitch() throws Exception
    {
        final var defaults = resolve(parse("--data-dir", dir.toString())).milter();
        assertTrue(!defaults.kindHeader(), "X-IYS-Kind is ignored unless allowed");
        assertEquals(256, defaults.maxConnections());
        assertEquals(600_000, defaults.idleTimeoutMs());
        assertEquals(30_000, defaults.packetTimeoutMs());
        final var set = resolve(parse("--data-dir", dir.toString(), "--milter-kind-header", "true",
            "--milter-max-connections", "8", "--milter-idle-timeout", "2m", "--milter-packet-timeout", "5s")).milter();
        assertTrue(set.kindHeader());
        assertEquals(8, set.maxConnections());
        assertEquals(120_000, set.idleTimeoutMs());
        assertEquals(5_000, set.packetTimeoutMs());
        final CommandLine.ParameterException off = assertThrows(CommandLine.ParameterException.class,
            () -> parse("--data-dir", dir.toString(), "--milter-idle-timeout", "off"));
        assertTrue(off.getMessage().contains("milter-idle-timeout: 'off'"), off.getMessage());
    }

    @Test
    void shouldMapTheEdgeSettingsAndKeepTheMilterOffTcpWhenItHasASocketUnlessItsPortIsGiven() throws Exception
    {
        final var defaults = resolve(parse("--data-dir", dir.toString()));
        assertEquals("127.0.0.1", defaults.bindAddress());
        assertEquals("127.0.0.1", defaults.adminBindAddress());
        assertEquals(-1, defaults.adminPort(), "admin routes stay on the HTTP port by default");
        assertEquals(7702, defaults.milterPort());
        assertEquals(null, defaults.milterSocket());
        assertEquals(null, defaults.milterAllow());
        assertTrue(!defaults.insecurePlaintext());

        final var socketOnly = resolve(parse("--data-dir", dir.toString(), "--milter-socket", "/run/x/milter.sock",
            "--admin-port", "7703", "--admin-bind-address", "::1", "--insecure-plaintext", "true"));
        assertEquals(Path.of("/run/x/milter.sock"), socketOnly.milterSocket());
        assertEquals(-1, socketOnly.milterPort(), "with a socket, no TCP milter unless its port is given");
        assertEquals(7703, socketOnly.adminPort());
        assertEquals("::1", socketOnly.adminBindAddress());
        assertTrue(socketOnly.insecurePlaintext());
        assertEquals(7710, resolve(parse("--data-dir", dir.toString(), "--milter-socket", "/run/x/milter.sock",
            "--milter-port", "7710")).milterPort());

        final var perAddress = resolve(parse("--data-dir", dir.toString(), "--max-connections", "800",
            "--http-max-connections", "16"));
        assertEquals(100, perAddress.maxConnectionsPerAddress(), "auto: an eighth of the binary cap");
        assertEquals(2, perAddress.http().maxConnectionsPerAddress(), "auto: an eighth of the HTTP cap");
        final var off = resolve(parse("--data-dir", dir.toString(), "--max-connections-per-address", "off"));
        assertEquals(0, off.maxConnectionsPerAddress());
        assertEquals(0, off.http().maxConnectionsPerAddress());
        assertEquals(7, resolve(parse("--data-dir", dir.toString(), "--max-connections-per-address", "7"))
            .http().maxConnectionsPerAddress());

        assertEquals("10.0.0.0/8,192.0.2.7", resolve(parse("--data-dir", dir.toString(), "--milter-allow",
            "10.0.0.0/8, 192.0.2.7")).milterAllow().toString());
        final CommandLine.ParameterException host = assertThrows(CommandLine.ParameterException.class,
            () -> parse("--data-dir", dir.toString(), "--milter-allow", "mx.example.com"));
        assertTrue(host.getMessage().contains("milter-allow: 'mx.example.com'"), host.getMessage());
    }

    @Test
    void shouldTakeAFutureSkewThatCannotBeSwitchedOff() throws Exception
    {
        assertEquals(5 * 60_000, resolve(parse("--data-dir", dir.toString())).indexOptions()
            .maxFutureSkewMs());
        assertEquals(30_000, resolve(parse("--data-dir", dir.toString(), "--max-future-skew", "30s"))
            .indexOptions().maxFutureSkewMs());
        final CommandLine.ParameterException flag = assertThrows(CommandLine.ParameterException.class,
            () -> parse("--data-dir", dir.toString(), "--max-future-skew", "off"));
        assertTrue(flag.getMessage().contains("max-future-skew: 'off'"), flag.getMessage());
        final UsageException off = assertThrows(UsageException.class, () -> ServeSettings.toContext(read(
            parse("--data-dir", dir.toString()), Map.of("IYS_FILTER_MAX_FUTURE_SKEW", "off")).values()));
        assertTrue(off.getMessage().startsWith("max-future-skew: 'off'"), off.getMessage());
    }

    @Test
    void shouldSizePhonesAndEmailsApartOrByEntriesPerMap() throws Exception
    {
        final IndexOptions defaults = resolve(parse("--data-dir", dir.toString())).indexOptions();
        assertEquals(IndexOptions.DEFAULT_ENTRIES_PER_MAP, defaults.phoneEntries());
        assertEquals(IndexOptions.DEFAULT_ENTRIES_PER_MAP, defaults.emailEntries());
        final IndexOptions both = resolve(parse("--data-dir", dir.toString(), "--entries-per-map", "5000"))
            .indexOptions();
        assertEquals(5_000, both.phoneEntries());
        assertEquals(5_000, both.emailEntries());
        final IndexOptions apart = resolve(parse("--data-dir", dir.toString(), "--entries-per-map", "5000",
            "--email-entries", "2000")).indexOptions();
        assertEquals(5_000, apart.phoneEntries());
        assertEquals(2_000, apart.emailEntries());
        final IndexOptions phones = resolve(parse("--data-dir", dir.toString(), "--phone-entries", "75000000",
            "--email-entries", "25000000")).indexOptions();
        assertEquals(75_000_000, phones.phoneEntries());
        assertEquals(25_000_000, phones.emailEntries());
        final CommandLine.ParameterException small = assertThrows(CommandLine.ParameterException.class,
            () -> parse("--data-dir", dir.toString(), "--phone-entries", "10"));
        assertTrue(small.getMessage().contains("phone-entries: 10 (expected: 1000.."), small.getMessage());
    }

    @Test
    void shouldNameTheBadSetting() throws Exception
    {
        final Path feed = Files.writeString(dir.resolve("feed.properties"), String.join("\n", "data-dir = " + dir,
            "iys-base-url = http://x", "iys-code = 1", "iys-brands = 2", "iys-username = u",
            "iys-password-file = " + secretFile("p.password", "p"), "iys-durability = sometimes", ""));
        final UsageException durability = assertThrows(UsageException.class, () -> resolve(
            parse("--config", feed.toString())));
        assertTrue(durability.getMessage().startsWith("iys-durability: 'sometimes'"), durability.getMessage());
        final CommandLine.ParameterException flag = assertThrows(CommandLine.ParameterException.class,
            () -> parse("--data-dir", dir.toString(), "--iys-durability", "sometimes"));
        assertTrue(flag.getMessage().contains("--iys-durability") &&
            flag.getMessage().contains("iys-durability: 'sometimes' (expected: fsync or process)"), flag.getMessage());
        final Path typo = Files.writeString(dir.resolve("typo.properties"), "data-dir = x\niys-brand = 1\n");
        final UsageException unknown = assertThrows(UsageException.class,
            () -> resolve(parse("--config", typo.toString())));
        assertTrue(unknown.getMessage().contains("unknown setting") && unknown.getMessage().contains("iys-brand"),
            unknown.getMessage());
    }

    @Test
    void shouldLetTheEnvironmentOverrideTheFileAndFlagsOverrideBoth() throws Exception
    {
        final Path config = Files.writeString(dir.resolve("c.properties"),
            "data-dir = " + dir + "\nhttp-port = 9701\nport = 9700\n");
        final ServeSettings.Resolved fromEnvironment = read(parse("--data-dir", dir.toString()),
            Map.of("IYS_PASSWORD", "env-secret"));
        assertEquals("environment IYS_PASSWORD", fromEnvironment.sources().get("iys-password"));
        assertTrue(ServeSettings.describe(fromEnvironment).contains("iys-password             = ****"));
        final ServeSettings.Resolved resolved = read(parse("--config", config.toString(), "--port",
            "9800"), Map.of("IYS_FILTER_HTTP_PORT", "8701", "IYS_FILTER_PORT", "8700", "IYS_PASSWORD", "env-secret"));
        assertEquals("8701", resolved.values().getProperty("http-port"));
        assertEquals("environment IYS_FILTER_HTTP_PORT", resolved.sources().get("http-port"));
        assertEquals("9800", resolved.values().getProperty("port"), "a flag beats the environment");
        final String described = ServeSettings.describe(resolved);
        assertTrue(described.contains("http-port") && described.contains("8701") &&
            described.contains("# environment IYS_FILTER_HTTP_PORT"), described);
        assertTrue(described.contains("freshness-bound") && described.contains("72h") &&
            described.contains("# default"), described);
        assertTrue(described.contains("iys-password             = ****") && !described.contains("env-secret"),
            described);
    }

    @Test
    void shouldTakeThePlainLoginVariablesOnlyWhenTheFileDoesNotSetTheLogin() throws Exception
    {
        final Path config = Files.writeString(dir.resolve("login.properties"),
            "data-dir = " + dir + "\niys-username = file-user\n");
        final ServeSettings.Resolved belowFile = read(parse("--config", config.toString()),
            Map.of("IYS_USERNAME", "env-user", "IYS_PASSWORD", "env-secret"));
        assertEquals("file-user", belowFile.values().getProperty("iys-username"), "the file beats IYS_USERNAME");
        assertEquals("config " + config, belowFile.sources().get("iys-username"));
        assertEquals("env-secret", belowFile.values().getProperty("iys-password"));
        final ServeSettings.Resolved aboveFile = read(parse("--config", config.toString()),
            Map.of("IYS_USERNAME", "env-user", "IYS_FILTER_IYS_USERNAME", "filter-user"));
        assertEquals("filter-user", aboveFile.values().getProperty("iys-username"),
            "IYS_FILTER_IYS_USERNAME beats the file");
        final ServeSettings.Resolved flag = read(parse("--config", config.toString(), "--iys-username", "flag-user"),
            Map.of("IYS_FILTER_IYS_USERNAME", "filter-user"));
        assertEquals("flag-user", flag.values().getProperty("iys-username"), "the option beats everything");
        assertEquals("flag --iys-username", flag.sources().get("iys-username"));
    }

    @Test
    void shouldTakePerProviderSettingsFromTheConfigFileOnly() throws Exception
    {
        final Path config = Files.writeString(dir.resolve("providers.properties"),
            "data-dir = " + dir + "\niys.700001.password-file = /etc/iys-filter/700001.password\n");
        final String described = ServeSettings.describe(read(parse("--config", config.toString()), Map.of()));
        assertTrue(described.contains(String.format("%-24s = %s", "iys.700001.password-file",
            "/etc/iys-filter/700001.password")), described);
        assertThrows(CommandLine.ParameterException.class, () -> parse("--iys.700001.password-file", "x"));
        final ServeSettings.Resolved environment = read(parse("--config", config.toString()),
            Map.of("IYS_FILTER_IYS.700001.PASSWORD-FILE", "x"));
        assertEquals("/etc/iys-filter/700001.password",
            environment.values().getProperty("iys.700001.password-file"));
    }

    @Test
    void shouldOfferEverySettingAsAnOptionWithItsDefaultInTheHelp()
    {
        final CommandLine line = ServeCommand.commandLine(System.out);
        final String help = line.getUsageMessage(CommandLine.Help.Ansi.OFF);
        final java.util.Set<String> options = new java.util.TreeSet<>();
        line.getCommandSpec().options().forEach((option) -> options.add(option.longestName()));
        for (final Setting<?> setting : Setting.ALL)
        {
            if (setting.everywhere())
            {
                assertTrue(options.remove("--" + setting.name()), setting.name());
                assertTrue(help.contains("--" + setting.name() + "=" + setting.label()), help);
            }
            else
            {
                assertTrue(help.contains(setting.name()), "a config file key is named in the help: " + setting.name());
            }
        }
        options.removeAll(List.of("--help", "--version"));
        assertEquals(java.util.Set.of("--config", "--print-config"), options,
            "every other option of serve is one of the settings");
        assertTrue(help.contains("--busy-poll=B") && help.contains("(default false)"), help);
        assertTrue(help.contains("--io-threads=N") && help.contains("(default number of cores)"), help);
    }

    @Test
    void shouldPrintEveryDeclaredSettingWithItsDefault() throws Exception
    {
        final String described = ServeSettings.describe(read(parse("--data-dir", dir.toString()), Map.of()));
        for (final Setting<?> setting : Setting.ALL)
        {
            if (setting.everywhere())
            {
                assertTrue(described.contains(String.format(java.util.Locale.ROOT, "%-24s = ", setting.name())),
                    setting.name() + " in " + described);
            }
        }
        assertTrue(described.contains("busy-poll                = false"), described);
    }

    @Test
    void shouldValidateBeforePrinting() throws Exception
    {
        final UsageException bad = assertThrows(UsageException.class, () -> ServeSettings.describe(
            read(parse("--data-dir", dir.toString()), Map.of("IYS_FILTER_PORT", "99999"))));
        assertTrue(bad.getMessage().startsWith("port: 99999 (expected: 0..65535)"), bad.getMessage());
    }

    @Test
    void shouldRecordReceiptsByDefaultInServeUnderTheDataDirectoryWithPolicyDeny() throws Exception
    {
        final FilterServer.Context context = resolve(parse("--data-dir", dir.resolve("data").toString()));
        final ReceiptSettings receipts = context.receipts();
        assertEquals(dir.resolve("data").resolve("receipts"), receipts.directory());
        assertTrue(!receipts.allowsUnrecorded(), "policy deny");
        assertEquals(730, receipts.retentionDays());
        assertEquals(262_144, receipts.queueSlots());
        assertEquals(null, new FilterServer.Context().receipts(), "off in a bare Context (tests)");
    }

    @Test
    void shouldReadTheReceiptsSettingsAndRefuseAQueueSizeThatIsNoPowerOfTwo() throws Exception
    {
        final String data = dir.resolve("data").toString();
        final FilterServer.Context context = resolve(parse("--data-dir", data, "--receipts-dir",
            dir.resolve("r").toString(), "--receipts-policy", "allow", "--receipts-retention-days", "30",
            "--receipts-queue-size", "4096"));
        assertEquals(new ReceiptSettings(dir.resolve("r"), true, 30, 4096), context.receipts());
        assertEquals(null, resolve(parse("--data-dir", data, "--receipts", "off")).receipts());
        // refused as the option is parsed (picocli) and as a config file's key is read (UsageException) alike
        final RuntimeException refused = assertThrows(RuntimeException.class,
            () -> resolve(parse("--data-dir", data, "--receipts-queue-size", "5000")));
        assertTrue(refused.getMessage().contains("receipts-queue-size: '5000' (expected: a power of two"),
            refused.getMessage());
        assertThrows(RuntimeException.class, () -> resolve(parse("--data-dir", data, "--receipts-policy", "maybe")));
    }

    @Test
    void shouldMapTheReplicationSettingsAndRefuseAReplicaWithIysCredentialsOrARoleWithoutBrokers() throws Exception
    {
        final String data = dir.resolve("data").toString();
        final FilterServer.Context standalone = resolve(parse("--data-dir", data));
        assertEquals(ReplicationSettings.STANDALONE, standalone.replication(), "standalone, no brokers, by default");

        final Path password = secretFile("p.password", "p");
        final String[] feed = {"--data-dir", data, "--iys-base-url", "http://127.0.0.1:1", "--iys-code", "1",
            "--iys-brands", "2", "--iys-username", "u", "--iys-password-file", password.toString(),
            "--iys-allow-insecure-http", "true"};
        final FilterServer.Context fetcher = resolve(parse(concat(feed, "--role", "FETCHER", "--kafka-bootstrap",
            "127.0.0.1:9092,127.0.0.1:9093", "--replication-topic", "fleet-1.changes", "--replication-partitions",
            "6", "--replication-factor", "1")));
        assertEquals(new ReplicationSettings(Role.FETCHER, "127.0.0.1:9092,127.0.0.1:9093", null,
            "fleet-1.changes", 6, (short)1), fetcher.replication());
        assertEquals("iys-filter-fetcher.fleet-1.changes", fetcher.replication().transactionalId());

        final UsageException noBrokers = assertThrows(UsageException.class,
            () -> resolve(parse(concat(feed, "--role", "fetcher"))));
        assertTrue(noBrokers.getMessage().startsWith("kafka-bootstrap: missing"), noBrokers.getMessage());
        final UsageException noFeed = assertThrows(UsageException.class, () -> resolve(parse("--data-dir", data,
            "--role", "fetcher", "--kafka-bootstrap", "127.0.0.1:9092")));
        assertTrue(noFeed.getMessage().contains("iys-base-url is missing"), noFeed.getMessage());

        final FilterServer.Context replica = resolve(parse("--data-dir", data, "--role", "replica",
            "--kafka-bootstrap", "127.0.0.1:9092"));
        assertEquals(Role.REPLICA, replica.replication().role());
        final UsageException credentials = assertThrows(UsageException.class, () -> resolve(parse(concat(feed,
            "--role", "replica", "--kafka-bootstrap", "127.0.0.1:9092"))));
        assertTrue(credentials.getMessage().startsWith("role: a replica holds no İYS credentials") &&
            credentials.getMessage().contains("iys-username") &&
            credentials.getMessage().contains("iys-password-file"), credentials.getMessage());
        final UsageException fromEnvironment = assertThrows(UsageException.class, () -> ServeSettings.toContext(
            read(parse("--data-dir", data, "--role", "replica", "--kafka-bootstrap", "127.0.0.1:9092"),
                Map.of("IYS_PASSWORD", "secret")).values()));
        assertTrue(fromEnvironment.getMessage().contains("iys-password"), fromEnvironment.getMessage());
        assertTrue(!fromEnvironment.getMessage().contains("secret is"), "names the setting, never its value");

        final CommandLine.ParameterException badRole = assertThrows(CommandLine.ParameterException.class,
            () -> parse("--data-dir", data, "--role", "leader"));
        assertTrue(badRole.getMessage().contains("role: 'leader' (expected: standalone, fetcher or replica)"),
            badRole.getMessage());
        final CommandLine.ParameterException badTopic = assertThrows(CommandLine.ParameterException.class,
            () -> parse("--data-dir", data, "--replication-topic", "a topic"));
        assertTrue(badTopic.getMessage().contains("replication-topic: 'a topic' (expected: a Kafka topic name"),
            badTopic.getMessage());
    }

    private static String[] concat(final String[] first, final String... more)
    {
        return Stream.concat(Arrays.stream(first), Arrays.stream(more)).toArray(String[]::new);
    }

    private Path secretFile(final String name, final String content) throws Exception
    {
        final Path file = Files.writeString(dir.resolve(name), content);
        Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    private static ServeCommand parse(final String... argv)
    {
        final CommandLine line = ServeCommand.commandLine(System.out);
        line.parseArgs(argv);
        return (ServeCommand)line.getCommandSpec().userObject();
    }

    private static ServeSettings.Resolved read(final ServeCommand command, final Map<String, String> environment)
        throws Exception
    {
        return ServeSettings.read(command.configFile(), command.options(), environment);
    }

    private static FilterServer.Context resolve(final ServeCommand command) throws Exception
    {
        return ServeSettings.toContext(read(command, Map.of()).values());
    }
}
