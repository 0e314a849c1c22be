package io.iysfilter.server.cli;

import io.iysfilter.server.FilterServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

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
        final Path config = Files.writeString(dir.resolve("iys-filter.properties"), String.join("\n",
            "data-dir = " + dir.resolve("data"),
            "iys-base-url = http://127.0.0.1:7780",
            "iys-code = 700001, 700002, 700003",
            "iys-username = integrator",
            "iys-password = shared-secret",
            "iys-brands = all",
            "iys.700002.brands = 600010,600011",
            "iys.700003.username = own-user",
            "iys.700003.password = own-secret",
            "iys.700003.brands = 600020",
            "iys-poll-interval = 30s",
            "iys-durability = process",
            ""));
        final FilterServer.Context context = ServeSettings.resolve(parse("--config", config.toString()));
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
    }

    @Test
    void shouldTakeAFutureSkewThatCannotBeSwitchedOff() throws Exception
    {
        assertEquals(5 * 60_000, ServeSettings.resolve(parse("--data-dir", dir.toString())).indexOptions()
            .maxFutureSkewMs());
        assertEquals(30_000, ServeSettings.resolve(parse("--data-dir", dir.toString(), "--max-future-skew", "30s"))
            .indexOptions().maxFutureSkewMs());
        final Args.UsageException off = assertThrows(Args.UsageException.class, () -> ServeSettings.resolve(
            parse("--data-dir", dir.toString(), "--max-future-skew", "off")));
        assertTrue(off.getMessage().startsWith("max-future-skew: 'off'"), off.getMessage());
    }

    @Test
    void shouldNameTheBadSetting() throws Exception
    {
        final Args.UsageException durability = assertThrows(Args.UsageException.class, () -> ServeSettings.resolve(
            parse("--data-dir", dir.toString(), "--iys-base-url", "http://x", "--iys-code", "1", "--iys-brands", "2",
                "--iys-username", "u", "--iys-password", "p", "--iys-durability", "sometimes")));
        assertTrue(durability.getMessage().startsWith("iys-durability: 'sometimes'"), durability.getMessage());
        final Path typo = Files.writeString(dir.resolve("typo.properties"), "data-dir = x\niys-brand = 1\n");
        final Args.UsageException unknown = assertThrows(Args.UsageException.class,
            () -> ServeSettings.resolve(parse("--config", typo.toString())));
        assertTrue(unknown.getMessage().contains("unknown setting") && unknown.getMessage().contains("iys-brand"),
            unknown.getMessage());
    }

    @Test
    void shouldLetTheEnvironmentOverrideTheFileAndFlagsOverrideBoth() throws Exception
    {
        final Path config = Files.writeString(dir.resolve("c.properties"),
            "data-dir = " + dir + "\nhttp-port = 9701\nport = 9700\niys-password = from-file\n");
        final ServeSettings.Resolved fromEnvironment = ServeSettings.read(parse("--data-dir", dir.toString()),
            java.util.Map.of("IYS_PASSWORD", "env-secret"));
        assertEquals("environment IYS_PASSWORD", fromEnvironment.sources().get("iys-password"));
        assertTrue(ServeSettings.describe(fromEnvironment).contains("iys-password             = ****"));
        final ServeSettings.Resolved resolved = ServeSettings.read(parse("--config", config.toString(), "--port",
            "9800"), java.util.Map.of("IYS_FILTER_HTTP_PORT", "8701", "IYS_FILTER_PORT", "8700"));
        assertEquals("8701", resolved.values().getProperty("http-port"));
        assertEquals("environment IYS_FILTER_HTTP_PORT", resolved.sources().get("http-port"));
        assertEquals("9800", resolved.values().getProperty("port"), "a flag beats the environment");
        final String described = ServeSettings.describe(resolved);
        assertTrue(described.contains("http-port") && described.contains("8701") &&
            described.contains("# environment IYS_FILTER_HTTP_PORT"), described);
        assertTrue(described.contains("freshness-bound") && described.contains("72h") &&
            described.contains("# default"), described);
        assertTrue(described.contains("iys-password             = ****") && !described.contains("from-file"),
            described);
    }

    @Test
    void shouldValidateBeforePrinting() throws Exception
    {
        final Args.UsageException bad = assertThrows(Args.UsageException.class, () -> ServeSettings.describe(
            ServeSettings.read(parse("--data-dir", dir.toString()), java.util.Map.of("IYS_FILTER_PORT", "99999"))));
        assertTrue(bad.getMessage().startsWith("port: 99999 (expected: 0..65535)"), bad.getMessage());
    }

    private static Args parse(final String... argv)
    {
        final java.util.Set<String> valued = new java.util.HashSet<>(ServeSettings.NAMES);
        valued.add("config");
        return Args.parse(argv, valued, Set.of());
    }
}
