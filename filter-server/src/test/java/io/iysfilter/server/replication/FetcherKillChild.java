package io.iysfilter.server.replication;

import io.iysfilter.server.FilterServer;
import io.iysfilter.server.iys.FeedSettings;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The fetcher process {@link FetcherFailoverIT} kills: a fetcher server following the İYS emulator and standing for
 * election, with the test's short session timeout, until killed (bounded: after three minutes it exits without
 * closing anything).
 */
final class FetcherKillChild
{
    private FetcherKillChild()
    {
    }

    /**
     * @param args the data directory, the bootstrap servers, the topic, the emulator's base URL, the brand.
     * @throws Exception when the server cannot start.
     */
    public static void main(final String[] args) throws Exception
    {
        final FilterServer server = FilterServer.start(FetcherFailoverIT.fetcherContext(Path.of(args[0]), args[1],
            args[2], FeedSettings.insecureHttp(URI.create(args[3]), FetcherFailoverIT.IYS_CODE, "iys-user", "secret",
                List.of(Long.parseLong(args[4])), 50, 64, 0, true)));
        System.out.println("http=" + server.httpPort());
        Thread.sleep(TimeUnit.MINUTES.toMillis(3));
        Runtime.getRuntime().halt(3);
    }

}
