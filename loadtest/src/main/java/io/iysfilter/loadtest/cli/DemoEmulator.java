package io.iysfilter.loadtest.cli;

import io.iysfilter.server.iys.FeedSettings;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The demo's İYS emulator (module iys-emulator): started as a child process through the launcher
 * ({@code iys-filter emulator}), as a user would start it beside a server, so that its output and its lifetime stay
 * apart from the demo server's. The demo is a developer tool: neither it nor the emulator is in the server's
 * distribution, and the server depends on the emulator only for its tests.
 */
final class DemoEmulator implements AutoCloseable
{
    private static final Pattern LISTENING = Pattern.compile("İYS emulator on (http://127\\.0\\.0\\.1:\\d+)");
    private static final String USERNAME = "demo-user";
    private static final String PASSWORD = "demo-password";

    private final Process process;
    private final String baseUrl;

    private DemoEmulator(final Process process, final String baseUrl)
    {
        this.process = process;
        this.baseUrl = baseUrl;
    }

    /**
     * @param port emulator port, 0 for any.
     * @param err  where to say why there is no emulator.
     * @return the running emulator, or null when the demo was not started through the launcher.
     * @throws IOException when the emulator does not start.
     */
    static DemoEmulator start(final int port, final PrintStream err) throws IOException
    {
        final String launcher = System.getProperty("iys.launcher");
        if (launcher == null)
        {
            err.println("demo: not started through ./iys-filter, so no İYS emulator and no followed brand");
            return null;
        }
        final Process process = new ProcessBuilder(launcher, "emulator", "--port", Integer.toString(port),
            "--brands", Long.toString(DemoCommand.FOLLOWED_BRAND), "--iys-code",
            Long.toString(DemoCommand.EMULATED_IYS_CODE), "--recipients", "10000", "--username", USERNAME,
            "--password", PASSWORD, "--exclusion-seconds", "0").redirectErrorStream(true).start();
        final BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
            StandardCharsets.UTF_8));
        String line;
        while ((line = out.readLine()) != null)
        {
            final Matcher matcher = LISTENING.matcher(line);
            if (matcher.find())
            {
                final Thread drain = new Thread(() -> drain(out), "iys-demo-emulator-output");
                drain.setDaemon(true);
                drain.start();
                return new DemoEmulator(process, matcher.group(1));
            }
        }
        process.destroy();
        throw new IOException("the İYS emulator did not start (port " + port + " in use?)");
    }

    private static void drain(final BufferedReader out)
    {
        try
        {
            while (out.readLine() != null)
            {
                // discard: the emulator prints nothing further of interest
            }
        }
        catch (final IOException ignored)
        {
            // the emulator ended
        }
    }

    String baseUrl()
    {
        return baseUrl;
    }

    FeedSettings feed(final long brand, final long iysCode)
    {
        return FeedSettings.insecureHttp(URI.create(baseUrl), iysCode, USERNAME, PASSWORD, List.of(brand), 2_000,
            FeedSettings.PAGE_SIZE_MAX, 0, false);
    }

    /**
     * Make a movement in the emulator, as İYS would record it now.
     */
    void change(final long brand, final String source, final String recipient, final String status)
        throws IOException, InterruptedException
    {
        final String body = "{\"brand\":" + brand + ",\"source\":\"" + source + "\",\"recipient\":\"" + recipient +
            "\",\"type\":\"MESAJ\",\"status\":\"" + status + "\"}";
        final HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create(baseUrl + "/emulator/changes")).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
            HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200)
        {
            throw new IOException("emulator refused a change: " + response.body());
        }
    }

    @Override
    public void close()
    {
        process.destroy();
    }
}
