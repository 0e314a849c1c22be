package io.iysfilter.server.optout;

import io.iysfilter.server.TestKeys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Prints what sealing costs the opt-out log's writer (docs/SECURITY.md §6): records/s framed in plain as before,
 * sealed and framed, and sealed appends each forced to disk. A measurement to read, not a timed assertion; it asserts
 * only that every forced record reads back.
 */
class OptOutLogTimingTest
{
    private static final String A = "{\"recordedAt\":\"2026-11-30T07:00:00Z\",\"time\":\"2026-11-30T07:00:00Z\"," +
        "\"brand\":600001,\"channel\":\"MESAJ\",\"recipient\":\"+905321111111\",\"recipientType\":\"BIREYSEL\"," +
        "\"source\":\"LOCAL\"}";

    @TempDir
    Path dir;

    private final OptOutSeal seal = OptOutSeal.forBrand(TestKeys.KEY, 600_001);

    @Test
    void printsRecordsPerSecond() throws IOException
    {
        final int forced = 300;
        final int encoded = 200_000;
        long sink = 0;
        for (int i = 0; i < encoded; i++)
        {
            sink += OptOutLog.encode(seal.seal(i, A)).length();
        }
        long t0 = System.nanoTime();
        for (int i = 0; i < encoded; i++)
        {
            sink += OptOutLog.encode(seal.seal(i, A)).length();
        }
        final long encodeNs = System.nanoTime() - t0;
        for (int i = 0; i < encoded; i++)
        {
            sink += OptOutLog.encode(A).length();
        }
        t0 = System.nanoTime();
        for (int i = 0; i < encoded; i++)
        {
            sink += OptOutLog.encode(A).length();
        }
        final long plainNs = System.nanoTime() - t0;
        try (OptOutLog log = OptOutLog.open(dir, seal, null))
        {
            t0 = System.nanoTime();
            for (int i = 0; i < forced; i++)
            {
                log.append(A);
            }
        }
        final long appendNs = System.nanoTime() - t0;
        System.out.printf("opt-out log: plain frame %.0f records/s, seal+frame %.0f records/s, " +
            "sealed append+force %.0f records/s (sink %d)%n", encoded * 1e9 / plainNs, encoded * 1e9 / encodeNs,
            forced * 1e9 / appendNs, sink);
        assertEquals(forced, OptOutLog.read(dir.resolve(OptOutLog.FILE_NAME), seal).records().size());
    }
}
