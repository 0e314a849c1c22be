package io.iysfilter.server.cli;

import io.iysfilter.server.TestKeys;
import io.iysfilter.server.decision.Reason;
import io.iysfilter.server.index.BrandIndex;
import io.iysfilter.server.index.ConsentStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code import} and {@code reconcile --file} against a file whose third line is 300 MB long (sparse: it costs no
 * disk): each fails at once naming the line, with bounded memory, instead of reading the line whole.
 */
@Timeout(60)
class LongLineTest
{
    private static final long BRAND = 600_001;
    private static final long LINE_BYTES = 300L * 1024 * 1024;
    private static final String HEADER =
        "creationDate,transactionId,recipient,recipientType,type,status,consentDate,source\n";
    private static final String LINE = "2020-10-29 23:59:00,f26ab9" + "0".repeat(58) +
        ",+905321234567,BIREYSEL,MESAJ,RET,2020-10-29 23:00:00,HS_MESAJ\n";

    @TempDir
    Path dir;

    @Test
    void shouldStopAnImportAtALineOverTheCapAndNeverServeItAsWhole() throws Exception
    {
        final Path file = longLineFile();
        final Path dataDir = dir.resolve("data");
        final Path keyFile = TestKeys.writeKeyFile(dir.resolve("index.key"));
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int exit = Main.run(new String[]{"import", "--data-dir", dataDir.toString(), "--key-file",
            keyFile.toString(), "--brand",
            Long.toString(BRAND), "--entries-per-map", "1000", "--disk-reserve-mb", "0", file.toString()},
            print(new ByteArrayOutputStream()), print(err));
        final String errors = err.toString(StandardCharsets.UTF_8);
        assertEquals(Main.EXIT_ERROR, exit, errors);
        assertTrue(errors.contains("line 3 is longer than 65536 bytes (expected: a daily change file, one record " +
            "per line); the import stopped there"), errors);
        try (ConsentStore store = ConsentStore.open(dataDir, TestKeys.options(1_000)))
        {
            final BrandIndex brand = store.brand(BRAND);
            assertEquals(1, brand.entries(), "the line before it is applied, as the import's rule says");
            assertEquals(Reason.INDEX_DAMAGED, brand.unreadyReason(), "and the brand is not served as whole");
            assertTrue(brand.damage().contains("an import did not finish"), brand.damage());
        }
    }

    @Test
    void shouldRefuseToSendAFileWithALineOverTheCap() throws Exception
    {
        final Path file = longLineFile();
        final int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            closedPort = socket.getLocalPort();
        }
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int exit = Main.run(new String[]{"reconcile", "--brand", Long.toString(BRAND), "--date", "2020-10-29",
            "--file", file.toString(), "--http-port", Integer.toString(closedPort)},
            print(new ByteArrayOutputStream()), print(err));
        final String errors = err.toString(StandardCharsets.UTF_8);
        assertEquals(Main.EXIT_ERROR, exit, errors);
        assertTrue(errors.contains(file + ": line 3 is longer than 65536 bytes") &&
            errors.contains("nothing was sent to the server"), "checked before connecting: " + errors);

        final Path good = dir.resolve("good.csv");
        java.nio.file.Files.writeString(good, HEADER + LINE);
        final ByteArrayOutputStream refused = new ByteArrayOutputStream();
        assertEquals(Main.EXIT_ERROR, Main.run(new String[]{"reconcile", "--brand", Long.toString(BRAND), "--date",
            "2020-10-29", "--file", good.toString(), "--http-port", Integer.toString(closedPort)},
            print(new ByteArrayOutputStream()), print(refused)));
        final String text = refused.toString(StandardCharsets.UTF_8);
        assertTrue(text.startsWith("iys-filter reconcile: cannot reach the server at 127.0.0.1:" + closedPort +
            ": java.net.ConnectException"), "a good file goes to the server, and a refusal is named: " + text);
    }

    /**
     * @return a header, a valid line, a line of 300 MB of NUL bytes (a hole in the file), a valid line.
     */
    private Path longLineFile() throws Exception
    {
        final Path file = dir.resolve("2020-10-29.csv");
        final byte[] head = (HEADER + LINE).getBytes(StandardCharsets.UTF_8);
        final byte[] tail = ("\n" + LINE.replace("+905321234567", "+905321234568")).getBytes(StandardCharsets.UTF_8);
        try (RandomAccessFile out = new RandomAccessFile(file.toFile(), "rw"))
        {
            out.write(head);
            out.seek(head.length + LINE_BYTES);
            out.write(tail);
        }
        return file;
    }

    private static PrintStream print(final ByteArrayOutputStream bytes)
    {
        return new PrintStream(bytes, true, StandardCharsets.UTF_8);
    }
}
