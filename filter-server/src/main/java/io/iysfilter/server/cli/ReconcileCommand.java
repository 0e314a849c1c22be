package io.iysfilter.server.cli;

import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code iys-filter reconcile}: has a running server compare a brand's daily change file with its index.
 */
final class ReconcileCommand implements Main.Command
{
    private static final Pattern COUNT =
        Pattern.compile("\"(lines|missing|older|conflicting|matched|rejected)\":(\\d+)");
    private static final Pattern EXAMPLE = Pattern.compile("\"examples\":\\[(.*)]");

    @Override
    public String help()
    {
        return String.join("\n",
            "usage: iys-filter reconcile --brand CODE --date YYYY-MM-DD [--file FILE] [--host H] [--http-port P]",
            "",
            "Has a running server compare brand CODE's daily change file for DATE with its index, apply what the",
            "index lacks (through the single writer, last-writer-wins as always) and report the drift: missing",
            "(the index held nothing for the key), older (it held an older movement), conflicting (it held the same",
            "movement with other content), matched. Without --file the server fetches the file from İYS",
            "(GET /sps/{iysCode}/brands/{brand}/changes/{date}/file; İYS keeps the previous 7 days); with --file",
            "the local file is sent. Run it nightly for yesterday.",
            "Exit status: 0 when nothing drifted, 1 when drift was found (and repaired), 2 on an error.",
            "",
            "  --host H        the server (default 127.0.0.1)",
            "  --http-port P   its HTTP port (default 7701)");
    }

    @Override
    public int run(final String[] argv, final PrintStream out, final PrintStream err) throws Exception
    {
        final Args args = Args.parse(argv, Set.of("brand", "date", "file", "host", "http-port"), Set.of());
        final long brand = Args.parseLong("brand", args.required("brand"), 1, 0xFFFF_FFFFL);
        final String date = args.required("date");
        if (!date.matches("\\d{4}-\\d{2}-\\d{2}"))
        {
            throw new Args.UsageException("date: '" + date + "' (expected: YYYY-MM-DD)");
        }
        final int port = (int)Args.parseLong("http-port", args.get("http-port", "7701"), 1, 65535);
        final URI uri = URI.create("http://" + args.get("host", "127.0.0.1") + ":" + port + "/v1/reconcile?brand=" +
            brand + "&date=" + date);
        final HttpRequest.BodyPublisher body = args.has("file") ?
            HttpRequest.BodyPublishers.ofFile(Path.of(args.get("file"))) : HttpRequest.BodyPublishers.noBody();
        final HttpResponse<String> response = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()
            .send(HttpRequest.newBuilder(uri).POST(body).build(), HttpResponse.BodyHandlers.ofString());
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
}
