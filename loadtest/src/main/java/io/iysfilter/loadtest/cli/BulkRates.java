package io.iysfilter.loadtest.cli;

import io.iysfilter.loadtest.ProcessCpu;
import io.iysfilter.loadtest.Workload;
import io.iysfilter.protocol.Verdicts;
import io.iysfilter.protocol.codecs.Channel;
import io.iysfilter.protocol.codecs.MessageKind;
import io.iysfilter.protocol.codecs.Reason;
import io.iysfilter.protocol.codecs.RecipientType;
import io.iysfilter.protocol.codecs.Verdict;
import io.iysfilter.server.cli.Main;
import io.iysfilter.server.cli.UsageException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code iys-filter loadtest bulk}: the bulk paths' rates as an operator meets them. Import: a generated daily file
 * of N lines into a new brand by {@code iys-filter import} in a process of its own, records/s of the whole command
 * (JVM start, brand creation, the final force included) and of the import proper (the command's own figure). Scrub:
 * a list of N rows against the load-test brand served by a child server, by {@code iys-filter scrub} in a process of
 * its own, rows/s of the whole command and of the scrub proper; every row of both outputs is checked against the
 * answer the workload expects, in input order. Each step is bounded by a timeout.
 */
@Command(name = "bulk", sortOptions = false, description = {
    "measure import (records/s) and scrub (rows/s) as the commands run them",
    "",
    "Generates a daily change file of --lines lines (75 %% phones, 25 %% e-mails, seeded) and imports it into a new " +
        "brand with 'iys-filter import' in a child process; prepares the load-test brand of --recipients " +
        "recipients (reused when --data-dir holds it), starts a server on it, generates a list of --rows rows " +
        "(85 %% recorded recipients, 15 %% without a record, MESAJ and BIREYSEL) and scrubs it with 'iys-filter " +
        "scrub' in a child process. Prints and writes to --out DIR (report.txt, bulk.json) each step's rate for the " +
        "whole command and for its own work, and the load average. The run fails (exit 1) when the import " +
        "rejected a line or a scrubbed row is missing, out of order or answered other than expected."})
final class BulkRates implements Callable<Integer>
{
    private static final long IMPORT_BRAND = 700_001;
    /** How often a child command's CPU time is sampled until it exits. */
    private static final long CPU_SAMPLE_MS = 50;
    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss", Locale.ROOT);
    private static final Pattern IMPORTED = Pattern.compile("imported .* (\\d[\\d,]*) lines, .* (\\d[\\d,]*) " +
        "rejected in ([\\d.]+) s");
    private static final Pattern SCRUBBED = Pattern.compile("scrubbed (\\d[\\d,]*) rows .* in ([\\d.]+) s " +
        "\\(([\\d,]+) rows/s\\)");

    private final PrintStream out;

    @Option(names = "--lines", paramLabel = "N", description = "lines of the daily file imported (default 1000000)")
    private long lines = 1_000_000;

    @Option(names = "--rows", paramLabel = "N", description = "rows of the list scrubbed (default 1000000)")
    private long rows = 1_000_000;

    @Option(names = "--recipients", paramLabel = "N", description = "recipients of the load-test brand the list " +
        "is scrubbed against (default 1000000)")
    private long recipients = Workload.RECIPIENTS_DEFAULT;

    @Option(names = "--seed", paramLabel = "S", description = "the seed of the brand, the file and the list " +
        "(default 6563)")
    private long seed = Workload.SEED_DEFAULT;

    @Option(names = "--skip", paramLabel = "import|scrub", description = "leave one step out")
    private String skip;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "the load-test brand (default " +
        "loadtest-data/<recipients>)")
    private Path dataDir;

    @Option(names = "--work-dir", paramLabel = "DIR", description = "the generated file, list, imported brand and " +
        "scrub outputs, replaced at each run (default loadtest-results/bulk-work)")
    private Path workDir = Path.of("loadtest-results", "bulk-work");

    @Option(names = "--out", paramLabel = "DIR", description = "the reports (default loadtest-results/bulk)")
    private Path outDir = Path.of("loadtest-results", "bulk");

    @Option(names = "--port", paramLabel = "P", description = "the server's binary port (default 17720)")
    private int port = 17_720;

    @Option(names = "--http-port", paramLabel = "P", description = "its HTTP port (default 17721)")
    private int httpPort = 17_721;

    @Option(names = "--timeout", paramLabel = "S", description = "seconds each command may take (default 600)")
    private long timeout = 600;

    BulkRates(final PrintStream out)
    {
        this.out = out;
    }

    /**
     * One command's outcome.
     *
     * @param count   records or rows.
     * @param wallNs  the whole command, process start to exit.
     * @param ownSec  the command's own figure (the import or the scrub, without JVM start).
     * @param failure why it failed, or null.
     * @param cpuNs   the command's CPU time, user and system (sampled every 50 ms until it exits, so up to 50 ms
     *                short), or -1 when /proc cannot tell.
     * @param serverCpuNs the server's CPU time over the command, or -1 (import: no server).
     */
    record Step(long count, long wallNs, double ownSec, String failure, long cpuNs, long serverCpuNs)
    {
        String cpuText()
        {
            return (cpuNs < 0 ? "" : String.format(Locale.ROOT, "; CPU per item: command %.2f us",
                cpuNs / 1e3 / count)) +
                (serverCpuNs < 0 ? "" : String.format(Locale.ROOT, ", server %.2f us", serverCpuNs / 1e3 / count));
        }

        double wholeRate()
        {
            return count / (wallNs / 1e9);
        }

        double ownRate()
        {
            return ownSec > 0 ? count / ownSec : 0;
        }
    }

    @Override
    public Integer call() throws Exception
    {
        UsageException.inRange("lines", lines, 1, 50_000_000);
        UsageException.inRange("rows", rows, 1, 50_000_000);
        UsageException.inRange("timeout", timeout, 1, 7_200);
        if (skip != null && !"import".equals(skip) && !"scrub".equals(skip))
        {
            throw new UsageException("skip: '" + skip + "' (expected: import or scrub)");
        }
        final Workload workload = new Workload(seed, UsageException.inRange("recipients", recipients, 1,
            Workload.MAX_RECIPIENTS));
        Files.createDirectories(outDir);
        Files.createDirectories(workDir);
        final List<String> report = new ArrayList<>();
        report.add("iys-filter loadtest bulk, " + Instant.now() + ", " + RedisComparison.machine());
        report.add("load average before: " + loadAverage());
        Step imported = null;
        Step scrubbed = null;
        if (!"import".equals(skip))
        {
            imported = importStep();
            report.add(String.format(Locale.ROOT, "import: %,d lines: whole command %.1f s = %,.0f records/s; " +
                "import proper %.1f s = %,.0f records/s%s%s", imported.count(), imported.wallNs() / 1e9,
                imported.wholeRate(), imported.ownSec(), imported.ownRate(), imported.cpuText(),
                failureText(imported)));
            report.add("load average after import: " + loadAverage());
        }
        if (!"scrub".equals(skip))
        {
            scrubbed = scrubStep(workload);
            report.add(String.format(Locale.ROOT, "scrub: %,d rows against %,d recipients: whole command %.1f s = " +
                "%,.0f rows/s; scrub proper %.1f s = %,.0f rows/s%s%s", scrubbed.count(), workload.recipients(),
                scrubbed.wallNs() / 1e9, scrubbed.wholeRate(), scrubbed.ownSec(), scrubbed.ownRate(),
                scrubbed.cpuText(), failureText(scrubbed)));
            report.add("load average after scrub: " + loadAverage());
        }
        for (final String line : report)
        {
            out.println(line);
        }
        Files.write(outDir.resolve("report.txt"), report, StandardCharsets.UTF_8);
        Files.writeString(outDir.resolve("bulk.json"), json(imported, scrubbed, workload), StandardCharsets.UTF_8);
        out.println("wrote " + outDir.resolve("report.txt") + " and " + outDir.resolve("bulk.json"));
        final boolean passed = (imported == null || imported.failure() == null) &&
            (scrubbed == null || scrubbed.failure() == null);
        return passed ? Main.EXIT_OK : Main.EXIT_DENY;
    }

    private Step importStep() throws Exception
    {
        final Path file = workDir.resolve("daily-" + lines + "-" + seed + ".csv");
        if (!Files.exists(file))
        {
            out.printf("writing a daily file of %,d lines to %s...%n", lines, file);
            writeDailyFile(file, lines, seed);
        }
        final Path importDir = workDir.resolve("import-data");
        deleteTree(importDir);
        deleteTree(workDir.resolve("import-data.key"));
        out.printf("importing %s into brand %d (log: %s)...%n", file, IMPORT_BRAND, outDir.resolve("import.log"));
        final ChildRun run = ChildRun.run(List.of("import", "--data-dir", importDir.toString(), "--brand",
            Long.toString(IMPORT_BRAND), "--entries-per-map", Long.toString(Math.max(1_000, lines)),
            file.toString()), outDir.resolve("import.log"), timeout);
        deleteTree(importDir);
        final Matcher matcher = IMPORTED.matcher(run.output());
        if (!matcher.find())
        {
            return new Step(lines, run.wallNs(), 0, "no import summary (exit " + run.exit() + "); see " +
                outDir.resolve("import.log"), run.cpuNs(), -1);
        }
        final long rejected = number(matcher.group(2));
        final String failure = run.exit() != Main.EXIT_OK || rejected != 0 ?
            "exit " + run.exit() + ", " + rejected + " rejected" : null;
        return new Step(number(matcher.group(1)), run.wallNs(), Double.parseDouble(matcher.group(3)), failure,
            run.cpuNs(), -1);
    }

    private Step scrubStep(final Workload workload) throws Exception
    {
        final Path data = dataDir != null ? dataDir : Path.of("loadtest-data", Long.toString(workload.recipients()));
        LoadTestData.prepare(data, workload, out);
        final Path list = workDir.resolve("list-" + rows + ".csv");
        final byte[] expected = writeList(list, workload, rows, seed);
        final Path allowed = workDir.resolve("allowed.csv");
        final Path denied = workDir.resolve("denied.csv");
        final List<String> serveArgs = List.of("--data-dir", data.toString(), "--port", Integer.toString(port),
            "--http-port", Integer.toString(httpPort), "--milter-port", "off", "--resp-port", "off",
            "--unbounded-brands", Long.toString(Workload.BRAND), "--entries-per-map", Long.toString(Math.max(10_000,
                workload.recipients())));
        out.println("starting iys-filter (log: " + outDir.resolve("server.log") + ")...");
        final ChildRun run;
        final long serverCpuNs;
        try (ServerProcess server = ServerProcess.start(serveArgs, port, httpPort, outDir.resolve("server.log")))
        {
            out.printf("scrubbing %,d rows against brand %d on pid %d...%n", rows, Workload.BRAND, server.pid());
            final long serverBefore = cpuNs(server.pid());
            run = ChildRun.run(List.of("scrub", "--port", Integer.toString(port), "--brand",
                Long.toString(Workload.BRAND), "--channel", "MESAJ", "--in", list.toString(), "--column", "2",
                "--allowed", allowed.toString(), "--denied", denied.toString()), outDir.resolve("scrub.log"), timeout);
            final long serverAfter = cpuNs(server.pid());
            serverCpuNs = serverBefore < 0 || serverAfter < 0 ? -1 : serverAfter - serverBefore;
        }
        final Matcher matcher = SCRUBBED.matcher(run.output());
        if (run.exit() != Main.EXIT_OK || !matcher.find())
        {
            return new Step(rows, run.wallNs(), 0, "scrub failed (exit " + run.exit() + "); see " +
                outDir.resolve("scrub.log"), run.cpuNs(), serverCpuNs);
        }
        final String wrong = checkOutputs(list, allowed, denied, expected);
        return new Step(number(matcher.group(1)), run.wallNs(), Double.parseDouble(matcher.group(2)), wrong,
            run.cpuNs(), serverCpuNs);
    }

    /**
     * A daily file of İYS records of the workload's first {@code count} recipients: one movement each, created in
     * 2025, ONAY or RET as the workload has it, each recipient on its own channel and type.
     *
     * @param file  written.
     * @param count lines.
     * @param seed  the workload's seed.
     * @throws IOException when it cannot be written.
     */
    static void writeDailyFile(final Path file, final long count, final long seed) throws IOException
    {
        final Workload workload = new Workload(seed, count);
        final long startSec = LocalDateTime.of(2025, 1, 1, 0, 0).toEpochSecond(ZoneOffset.ofHours(3));
        final SplittableRandom random = new SplittableRandom(seed);
        final Path partial = file.resolveSibling(file.getFileName() + ".partial");
        try (BufferedWriter writer = Files.newBufferedWriter(partial, StandardCharsets.UTF_8))
        {
            writer.write("creationDate,transactionId,recipient,recipientType,type,status,consentDate,source\n");
            final StringBuilder line = new StringBuilder(160);
            for (long i = 0; i < count; i++)
            {
                final String date = DATE.format(LocalDateTime.ofEpochSecond(startSec + random.nextLong(31_536_000L),
                    0, ZoneOffset.ofHours(3)));
                line.setLength(0);
                line.append(date).append(',').append(String.format(Locale.ROOT, "%016x%016x", random.nextLong(),
                    random.nextLong())).append(',').append(workload.address(i)).append(',')
                    .append(workload.type(i).name()).append(',').append(workload.channel(i).name()).append(',')
                    .append(workload.rejected(i) ? "RET" : "ONAY").append(',').append(date).append(",HS_WEB\n");
                writer.append(line);
            }
        }
        Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING);
    }

    /**
     * A list of {@code id,recipient} rows about MESAJ / BIREYSEL recipients of the workload: 85 % with a record,
     * 15 % without.
     *
     * @return each row's expected reason, as the reason's value.
     */
    static byte[] writeList(final Path file, final Workload workload, final long count, final long seed)
        throws IOException
    {
        final byte[] expected = new byte[(int)count];
        final SplittableRandom random = new SplittableRandom(seed ^ 0x5C5C);
        final long n = workload.recipients();
        try (BufferedWriter writer = Files.newBufferedWriter(file, StandardCharsets.UTF_8))
        {
            for (int row = 0; row < count; row++)
            {
                long index;
                do
                {
                    index = random.nextInt(100) < 85 ? random.nextLong(n) : n + random.nextLong(n);
                }
                while (workload.channel(index) != Channel.MESAJ || workload.type(index) != RecipientType.BIREYSEL);
                expected[row] = (byte)workload.expected(index, MessageKind.COMMERCIAL).value();
                writer.append(Long.toString(index)).append(',').append(workload.address(index)).append('\n');
            }
        }
        return expected;
    }

    /**
     * @return null when every row of the list is in the output its expected answer names, with that reason, in
     *         input order and nothing else is; else what is wrong first.
     */
    static String checkOutputs(final Path list, final Path allowed, final Path denied, final byte[] expected)
        throws IOException
    {
        try (BufferedReader in = Files.newBufferedReader(list, StandardCharsets.UTF_8);
            BufferedReader allows = Files.newBufferedReader(allowed, StandardCharsets.UTF_8);
            BufferedReader denies = Files.newBufferedReader(denied, StandardCharsets.UTF_8))
        {
            String row;
            int index = 0;
            while ((row = in.readLine()) != null)
            {
                final Reason reason = Reason.get((short)(expected[index] & 0xFF));
                final boolean allow = Verdicts.verdictOf(reason) == Verdict.ALLOW;
                final String want = allow ? row : row + "," + reason.name();
                final String got = allow ? allows.readLine() : denies.readLine();
                if (!want.equals(got))
                {
                    return "row " + (index + 1) + ": expected '" + want + "' next in the " + (allow ? "allowed" :
                        "denied") + " output, found '" + got + "'";
                }
                index++;
            }
            if (allows.readLine() != null || denies.readLine() != null)
            {
                return "the outputs hold more rows than the list";
            }
            return null;
        }
    }

    private static long number(final String digits)
    {
        return Long.parseLong(digits.replace(",", ""));
    }

    private static String failureText(final Step step)
    {
        return step.failure() == null ? "" : " FAILED: " + step.failure();
    }

    private static String loadAverage()
    {
        final double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        return load < 0 ? "unknown" : String.format(Locale.ROOT, "%.2f (1 min)", load);
    }

    private String json(final Step imported, final Step scrubbed, final Workload workload)
    {
        return "{\n  \"machine\": \"" + RedisComparison.machine().replace("\"", "'") + "\",\n" +
            "  \"loadAverage\": \"" + loadAverage() + "\",\n" +
            "  \"import\": " + stepJson(imported, "records") + ",\n" +
            "  \"scrub\": " + stepJson(scrubbed, "rows").replace("{", "{\"recipients\": " +
            workload.recipients() + ", ") + "\n}\n";
    }

    private static String stepJson(final Step step, final String unit)
    {
        if (step == null)
        {
            return "null";
        }
        return String.format(Locale.ROOT, "{\"%s\": %d, \"wholeSeconds\": %.3f, \"wholePerSecond\": %.0f, " +
            "\"ownSeconds\": %.3f, \"ownPerSecond\": %.0f, \"commandCpuSeconds\": %s, \"serverCpuSeconds\": %s, " +
            "\"passed\": %b%s}", unit, step.count(), step.wallNs() / 1e9, step.wholeRate(), step.ownSec(),
            step.ownRate(), seconds(step.cpuNs()), seconds(step.serverCpuNs()), step.failure() == null,
            step.failure() == null ? "" : ", \"failure\": \"" + step.failure().replace("\"", "'") + "\"");
    }

    /**
     * @return a process's CPU time so far, user and system ({@link ProcessCpu}); -1 when it cannot be read.
     */
    static long cpuNs(final long pid)
    {
        try
        {
            final ProcessCpu cpu = ProcessCpu.read(pid);
            return Math.round(ProcessCpu.ticksToMicros(cpu.userTicks() + cpu.systemTicks()) * 1_000);
        }
        catch (final IOException | RuntimeException ex)
        {
            return -1;
        }
    }

    private static String seconds(final long ns)
    {
        return ns < 0 ? "null" : String.format(Locale.ROOT, "%.3f", ns / 1e9);
    }

    static void deleteTree(final Path path) throws IOException
    {
        if (!Files.exists(path))
        {
            return;
        }
        try (var walk = Files.walk(path))
        {
            for (final Path each : walk.sorted(Comparator.reverseOrder()).toList())
            {
                Files.delete(each);
            }
        }
    }

    /**
     * An {@code iys-filter} command in a child process ({@link ServerProcess#commandLine}); killed when it outlives
     * its timeout.
     */
    record ChildRun(int exit, String output, long wallNs, long cpuNs)
    {
        static ChildRun run(final List<String> args, final Path log, final long timeoutSec)
            throws IOException, InterruptedException
        {
            final List<String> command = ServerProcess.commandLine(args);
            final long startNs = System.nanoTime();
            final Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
            final long deadlineNs = startNs + TimeUnit.SECONDS.toNanos(timeoutSec);
            long cpuNs = -1;
            while (!process.waitFor(CPU_SAMPLE_MS, TimeUnit.MILLISECONDS) && System.nanoTime() - deadlineNs < 0)
            {
                final long sample = BulkRates.cpuNs(process.pid());
                cpuNs = sample >= 0 ? sample : cpuNs;
            }
            if (process.isAlive())
            {
                process.destroyForcibly();
                process.waitFor(15, TimeUnit.SECONDS);
                throw new IOException("'" + String.join(" ", args) + "' did not end within " + timeoutSec + " s; " +
                    "see " + log);
            }
            final long wallNs = System.nanoTime() - startNs;
            return new ChildRun(process.exitValue(), Files.readString(log, StandardCharsets.UTF_8), wallNs, cpuNs);
        }
    }
}
