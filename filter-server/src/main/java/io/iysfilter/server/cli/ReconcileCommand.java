package io.iysfilter.server.cli;

import io.iysfilter.server.iys.BoundedLineReader;
import io.iysfilter.server.iys.DailyFileImporter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code iys-filter reconcile}: has a running server compare a brand's daily change file with its index.
 */
@Command(name = "reconcile", sortOptions = false, description = {
    "compare a brand's İYS daily change file with a running server's index and repair it",
    "",
    "Has a running server compare brand CODE's daily change file for DATE with its index, apply what the index " +
        "lacks (through the single writer, last-writer-wins as always) and report the drift: missing (the index " +
        "held nothing for the key), older (it held an older movement), conflicting (it held the same movement " +
        "with other content), matched. Without --file the server fetches the file from İYS " +
        "(GET /sps/{iysCode}/brands/{brand}/changes/{date}/file; İYS keeps the previous 7 days); with --file the " +
        "local file is sent, once its lines are checked: a line longer than 64 KiB (no daily file has one) fails " +
        "the command, naming the line, before anything is sent. Run it nightly for yesterday.",
    "",
    "With --recipients FILE instead of --date, refreshes dealer access: FILE names consents, one " +
        "recipient,recipientType,type a line (İYS's words: +905321234567,BIREYSEL,MESAJ); for each whose newest " +
        "record is an ONAY the server reads İYS's access list (POST .../consents/retailers/access/list) at most " +
        "--rate calls a second, and stores it with the time it was read: dealer checks of the brand are decided on " +
        "it for dealer-access-fresh-for (docs/INDEX.md \"Dealer decisions\"). Exit 0 when every consent named was " +
        "refreshed or needed nothing, 1 when some failed or were rejected, 2 on an error.",
    "Exit status: 0 when nothing drifted, 1 when drift was found (and repaired), 2 on an error."})
final class ReconcileCommand implements Callable<Integer>
{
    private static final Pattern COUNT =
        Pattern.compile("\"(lines|missing|older|conflicting|matched|rejected)\":(\\d+)");
    private static final Pattern DEALER_COUNT =
        Pattern.compile("\"(lines|refreshed|notOnay|noRecord|newer|failed|rejected|calls)\":(\\d+)");
    private static final Pattern EXAMPLE = Pattern.compile("\"examples\":\\[(.*)]");

    private final PrintStream out;
    private final PrintStream err;

    @Option(names = "--brand", required = true, paramLabel = "CODE", converter = Converters.Code.class,
        description = "the brand's İYS code")
    private long brand;

    @Option(names = "--date", paramLabel = "YYYY-MM-DD", description = "the day of the file")
    private String date;

    @Option(names = "--recipients", paramLabel = "FILE",
        description = "refresh the dealer access of the consents FILE names instead (one recipient,recipientType," +
            "type a line)")
    private Path recipients;

    @Option(names = "--rate", paramLabel = "N", description = "with --recipients: calls a second to İYS at most, " +
        "1..50 (default 5)")
    private int rate = 5;

    @Option(names = "--file", paramLabel = "FILE", description = "send this file instead of fetching it from İYS")
    private Path file;

    @Option(names = "--host", paramLabel = "H", description = "the server (default 127.0.0.1)")
    private String host = "127.0.0.1";

    @Option(names = "--http-port", paramLabel = "P", converter = Converters.Port.class,
        description = "its HTTP port (default 7701)")
    private int httpPort = 7701;

    ReconcileCommand(final PrintStream out, final PrintStream err)
    {
        this.out = out;
        this.err = err;
    }

    @Override
    public Integer call() throws Exception
    {
        if ((date == null) == (recipients == null))
        {
            throw new UsageException("give --date (reconcile a day) or --recipients (refresh dealer access), one " +
                "of them");
        }
        if (recipients != null)
        {
            return dealers();
        }
        if (!date.matches("\\d{4}-\\d{2}-\\d{2}"))
        {
            throw new UsageException("date: '" + date + "' (expected: YYYY-MM-DD)");
        }
        final URI uri = URI.create("http://" + host + ":" + httpPort + "/v1/reconcile?brand=" +
            brand + "&date=" + date);
        if (file != null)
        {
            checkLines(file);
        }
        final HttpRequest.BodyPublisher body = file != null ?
            HttpRequest.BodyPublishers.ofFile(file) : HttpRequest.BodyPublishers.noBody();
        final HttpResponse<String> response;
        try
        {
            response = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()
                .send(HttpRequest.newBuilder(uri).POST(body).build(), HttpResponse.BodyHandlers.ofString());
        }
        catch (final IOException ex)
        {
            // a refused connection's own message is null: say what failed
            throw new IOException("cannot reach the server at " + host + ":" + httpPort + ": " +
                ex.getClass().getName() + (ex.getMessage() == null ? "" : ": " + ex.getMessage()), ex);
        }
        if (response.statusCode() != 200)
        {
            err.println("iys-filter reconcile: the server answered " + response.statusCode() + ": " +
                response.body());
            return Main.EXIT_ERROR;
        }
        final Matcher counts = COUNT.matcher(response.body());
        final StringBuilder summary = new StringBuilder("reconciled brand " + brand + " for " + date + ":");
        long drift = 0;
        while (counts.find())
        {
            summary.append(' ').append(counts.group(2)).append(' ').append(counts.group(1)).append(',');
            if (Set.of("missing", "older", "conflicting", "rejected").contains(counts.group(1)))
            {
                drift += Long.parseLong(counts.group(2));
            }
        }
        out.println(summary.substring(0, summary.length() - 1));
        final Matcher examples = EXAMPLE.matcher(response.body());
        if (examples.find() && !examples.group(1).isEmpty())
        {
            for (final String example : examples.group(1).split("\",\""))
            {
                out.println("  " + example.replace("\"", ""));
            }
        }
        return drift == 0 ? Main.EXIT_OK : Main.EXIT_DENY;
    }

    /**
     * {@code --recipients}: the server reads each named consent's dealer access from İYS and stores it.
     */
    private int dealers() throws IOException, InterruptedException
    {
        if (rate < 1 || rate > 50)
        {
            throw new UsageException("rate: " + rate + " (expected: 1..50 calls a second)");
        }
        checkLines(recipients);
        final URI uri = URI.create("http://" + host + ":" + httpPort + "/v1/reconcile?brand=" + brand +
            "&dealers=true&rate=" + rate);
        final HttpResponse<String> response = send(uri, HttpRequest.BodyPublishers.ofFile(recipients));
        if (response.statusCode() != 200)
        {
            err.println("iys-filter reconcile: the server answered " + response.statusCode() + ": " +
                response.body());
            return Main.EXIT_ERROR;
        }
        final Matcher counts = DEALER_COUNT.matcher(response.body());
        final StringBuilder summary = new StringBuilder("refreshed dealer access of brand " + brand + ":");
        long trouble = 0;
        while (counts.find())
        {
            summary.append(' ').append(counts.group(2)).append(' ').append(counts.group(1)).append(',');
            if ("failed".equals(counts.group(1)) || "rejected".equals(counts.group(1)))
            {
                trouble += Long.parseLong(counts.group(2));
            }
        }
        out.println(summary.substring(0, summary.length() - 1));
        final Matcher examples = EXAMPLE.matcher(response.body());
        if (examples.find() && !examples.group(1).isEmpty())
        {
            for (final String example : examples.group(1).split("\",\""))
            {
                out.println("  " + example.replace("\"", ""));
            }
        }
        return trouble == 0 ? Main.EXIT_OK : Main.EXIT_DENY;
    }

    private HttpResponse<String> send(final URI uri, final HttpRequest.BodyPublisher body)
        throws IOException, InterruptedException
    {
        try
        {
            // a refresh of many consents takes as long as the rate makes it: no timeout on the answer
            return HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()
                .send(HttpRequest.newBuilder(uri).POST(body).build(), HttpResponse.BodyHandlers.ofString());
        }
        catch (final IOException ex)
        {
            throw new IOException("cannot reach the server at " + host + ":" + httpPort + ": " +
                ex.getClass().getName() + (ex.getMessage() == null ? "" : ": " + ex.getMessage()), ex);
        }
    }

    /**
     * Read the file once, line by line, as the server will: a line over the cap fails here, naming it, before a byte
     * is sent (the server would refuse the body at that line and close, which the upload may only see as a reset).
     *
     * @param file the daily file.
     * @throws IOException when it cannot be read or has a line over {@link DailyFileImporter#MAX_LINE_BYTES}.
     */
    private static void checkLines(final Path file) throws IOException
    {
        try (InputStream in = Files.newInputStream(file))
        {
            final BoundedLineReader lines = new BoundedLineReader(in, DailyFileImporter.MAX_LINE_BYTES);
            while (lines.readLine() != null)
            {
                // only the lengths matter here
            }
        }
        catch (final BoundedLineReader.LineTooLongException ex)
        {
            throw new IOException(file + ": " + ex.getMessage() + "; nothing was sent to the server", ex);
        }
    }
}
