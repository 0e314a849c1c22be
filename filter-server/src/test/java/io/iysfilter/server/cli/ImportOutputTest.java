package io.iysfilter.server.cli;

import io.iysfilter.server.TestKeys;
import io.iysfilter.server.iys.IysTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What {@code import} prints to the operator's terminal: a rejected line quoting a recipient shows it masked unless
 * {@code --log-recipients full} (docs/SECURITY.md §4).
 */
class ImportOutputTest
{
    private static final String TOO_LONG = "+9053212345678";

    @TempDir
    Path dir;

    @Test
    void shouldMaskRecipientsInTheRejectedLinesItPrints() throws Exception
    {
        final String creation = IysTime.format(System.currentTimeMillis() / 1000 - 86_400);
        final Path file = Files.writeString(dir.resolve("daily.csv"),
            "creationDate,transactionId,recipient,recipientType,type,status,consentDate,source\n" +
            creation + "," + "a".repeat(64) + "," + TOO_LONG + ",BIREYSEL,MESAJ,ONAY," + creation + ",HS_WEB\n");
        final Path keyFile = TestKeys.writeKeyFile(dir.resolve("index.key"));

        final String masked = importOutput(file, keyFile, "masked");
        assertTrue(masked.contains("rejected line 2: invalid recipient: '+905321*****78'"), masked);
        assertFalse(masked.contains("5321234567"), masked);
        final String whole = importOutput(file, keyFile, "full");
        assertTrue(whole.contains("rejected line 2: invalid recipient: '" + TOO_LONG + "'"), whole);
    }

    private String importOutput(final Path file, final Path keyFile, final String recipients)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int exit = Main.run(new String[]{"import", "--data-dir", dir.resolve("data").toString(), "--key-file",
            keyFile.toString(), "--brand", "600001", "--entries-per-map", "1000", "--disk-reserve-mb", "0",
            "--log-recipients", recipients, file.toString()}, new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(Main.EXIT_DENY, exit, err.toString(StandardCharsets.UTF_8));
        return out.toString(StandardCharsets.UTF_8);
    }
}
