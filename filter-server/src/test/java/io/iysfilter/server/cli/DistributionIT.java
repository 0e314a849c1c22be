package io.iysfilter.server.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The distribution tarball ({@code ./mvnw package}) unpacks to a working installation whose {@code bin/iys-filter}
 * behaves as the repository's launcher for the server's commands, and which holds none of the developer tools (the
 * load rig, the İYS emulator, the demo) nor their libraries.
 */
@Timeout(120)
class DistributionIT
{
    private static final Path TARGET = Path.of(System.getProperty("iys.repository.root", ".."), "filter-server",
        "target").toAbsolutePath();

    @TempDir
    Path install;

    @Test
    void shouldRunFromTheUnpackedTarball() throws Exception
    {
        final Path tarball;
        try (var files = Files.list(TARGET))
        {
            tarball = files.filter((file) -> file.getFileName().toString().matches("iys-filter-.*\\.tar\\.gz"))
                .findFirst().orElseThrow(() -> new AssertionError("no distribution in " + TARGET));
        }
        assertEquals(0, run(install, "tar", "xzf", tarball.toString()).exit);
        final Path home;
        try (var dirs = Files.list(install))
        {
            home = dirs.findFirst().orElseThrow();
        }
        for (final String file : new String[]{"bin/iys-filter", "conf/iys-filter.properties", "conf/logback.xml",
            "conf/jvm.options", "systemd/iys-filter.service", "docs/PROTOCOL.md", "docs/RESP.md", "docs/OPERATIONS.md",
            "ops/grafana-dashboard.json", "lib/filter-server.jar"})
        {
            assertTrue(Files.exists(home.resolve(file)), file);
        }
        assertTrue(Files.isExecutable(home.resolve("bin/iys-filter")));

        final Result config = run(home, "bin/iys-filter", "serve", "--config", "conf/iys-filter.properties",
            "--data-dir", install.resolve("data").toString(), "--print-config");
        assertEquals(0, config.exit, config.output);
        assertTrue(config.output.contains("# config conf/iys-filter.properties"), config.output);

        final String unit = Files.readString(home.resolve("systemd/iys-filter.service"));
        assertTrue(unit.contains("\nRestart=on-failure\n"), "systemd restarts a server that exited on an error");
        final ProcessBuilder flags = new ProcessBuilder("bin/iys-filter", "serve", "--config",
            "conf/iys-filter.properties", "--data-dir", install.resolve("data").toString(), "--print-config")
            .directory(home.toFile()).redirectErrorStream(true);
        flags.environment().put("IYS_FILTER_JAVA_OPTS", "-XX:+PrintCommandLineFlags");
        final Result started = run(flags);
        assertEquals(0, started.exit, started.output);
        assertTrue(started.output.contains("-XX:+ExitOnOutOfMemoryError"), "the launcher starts the JVM so that an " +
            "OutOfMemoryError ends the process (and systemd restarts it) rather than leaving it half-alive:\n" +
            started.output);

        final Result bad = run(home, "bin/iys-filter", "serve", "--config", "conf/iys-filter.properties",
            "--freshness-bound", "soon", "--print-config");
        assertEquals(2, bad.exit);
        assertTrue(bad.output.contains("freshness-bound: 'soon'"), bad.output);

        for (final String tool : new String[]{"demo", "emulator", "loadtest"})
        {
            final Result absent = run(home, "bin/iys-filter", tool, "--help");
            assertEquals(2, absent.exit, absent.output);
            assertTrue(absent.output.contains("'" + tool + "' is a developer tool") &&
                absent.output.contains("not part of this distribution"), absent.output);
        }
        final List<String> libs;
        try (var jars = Files.list(home.resolve("lib")))
        {
            libs = jars.map((jar) -> jar.getFileName().toString()).sorted().toList();
        }
        assertTrue(libs.contains("filter-server.jar"), libs.toString());
        // HdrHistogram stays: Micrometer's core declares it (and LatencyUtils) at run time for its timers.
        for (final String lib : libs)
        {
            assertFalse(lib.startsWith("loadtest") || lib.startsWith("iys-emulator"),
                "lib/ holds developer tools' code: " + lib);
        }
        for (final String lib : libs)
        {
            try (JarFile jar = new JarFile(home.resolve("lib").resolve(lib).toFile()))
            {
                assertTrue(jar.stream().noneMatch((entry) -> entry.getName().startsWith("io/iysfilter/loadtest/") ||
                    entry.getName().startsWith("io/iysfilter/emulator/")), lib + " holds developer tools' classes");
            }
        }
    }

    private record Result(int exit, String output)
    {
    }

    private static Result run(final Path directory, final String... command) throws Exception
    {
        return run(new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true));
    }

    private static Result run(final ProcessBuilder command) throws Exception
    {
        final Process process = command.start();
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS));
        return new Result(process.exitValue(), output);
    }
}
