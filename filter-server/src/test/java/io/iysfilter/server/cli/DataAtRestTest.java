package io.iysfilter.server.cli;

import io.iysfilter.server.TestKeys;
import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.RecipientType;
import io.iysfilter.server.index.ConsentKeyDescriptor;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.iys.IysTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Personal data at rest (docs/SECURITY.md): after an import run as its own process under umask 022, the data
 * directory is 0700 with every file in it 0600, the key file beside it is 0600, and no file in the data directory
 * holds the imported phone number or e-mail address in any common form, nor the number's unkeyed 64-bit key.
 */
class DataAtRestTest
{
    static final long BRAND = 600_777;
    static final long DIGITS = 905_321_234_567L;
    static final String EMAIL = "ayse.yilmaz@example.com.tr";

    @TempDir
    Path dir;

    @Test
    void anImportLeavesOnlyPrivateFilesAndNoRecipientInPlain() throws Exception
    {
        final Path file = dir.resolve("daily.csv");
        final String creation = IysTime.format(System.currentTimeMillis() / 1000 - 86_400);
        Files.writeString(file, "creationDate,transactionId,recipient,recipientType,type,status,consentDate,source\n" +
            creation + "," + "a".repeat(64) + ",+" + DIGITS + ",BIREYSEL,MESAJ,ONAY," + creation + ",HS_WEB\n" +
            creation + "," + "b".repeat(64) + ",+" + DIGITS + ",TACIR,ARAMA,RET,,\n" +
            creation + "," + "c".repeat(64) + "," + EMAIL + ",BIREYSEL,EPOSTA,ONAY," + creation + ",HS_WEB\n",
            StandardCharsets.UTF_8);
        final Path dataDir = dir.resolve("data");
        final Path keyFile = dir.resolve("keys").resolve("index.key");

        final List<String> command = new ArrayList<>(List.of("/bin/sh", "-c", "umask 022 && exec \"$@\"", "sh"));
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), "import",
            "--data-dir", dataDir.toString(), "--key-file", keyFile.toString(), "--brand", Long.toString(BRAND),
            "--entries-per-map", "1000", file.toString()));
        final Process child = new ProcessBuilder(command).redirectErrorStream(true)
            .redirectOutput(dir.resolve("import.log").toFile()).start();
        assertTrue(child.waitFor(60, TimeUnit.SECONDS), "the import ends");
        final String log = Files.readString(dir.resolve("import.log"));
        assertEquals(0, child.exitValue(), log);
        assertTrue(log.contains("3 applied"), log);

        assertEquals("rw-------", mode(keyFile));
        final List<Path> all;
        try (Stream<Path> paths = Files.walk(dataDir))
        {
            all = paths.toList();
        }
        assertTrue(all.size() >= 6, "the data directory, brands/, the brand's directory, its meta and maps: " + all);
        for (final Path path : all)
        {
            assertEquals(Files.isDirectory(path) ? "rwx------" : "rw-------", mode(path), path.toString());
        }
        assertNoRecipientIn(all);
    }

    @Test
    void filesOthersCouldReadAreMadePrivateAtOpen() throws IOException
    {
        final Path dataDir = dir.resolve("data");
        final Path brand = Files.createDirectories(dataDir.resolve("brands").resolve("stray"));
        final Path file = Files.writeString(brand.resolve("left.txt"), "left by an older version");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        Files.setPosixFilePermissions(brand, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(dataDir, PosixFilePermissions.fromString("rwxrwxrwx"));
        ConsentStore.open(dataDir, TestKeys.options(1_000)).close();
        assertEquals("rwx------", mode(dataDir));
        assertEquals("rwx------", mode(brand));
        assertEquals("rw-------", mode(file));
        assertEquals("rw-------", mode(dataDir.resolve(".lock")));
    }

    /**
     * Every form a number or an address could take in a file: as text, and the number's 64-bit key before the keyed
     * permutation, in both byte orders, for each channel and recipient type.
     */
    static void assertNoRecipientIn(final List<Path> files) throws IOException
    {
        final Map<String, byte[]> forms = new LinkedHashMap<>();
        for (final String text : new String[]{"5321234567", "905321234567", "+905321234567", EMAIL,
            EMAIL.toUpperCase(Locale.ROOT)})
        {
            forms.put(text, text.getBytes(StandardCharsets.UTF_8));
        }
        for (final Channel channel : new Channel[]{Channel.MESAJ, Channel.ARAMA})
        {
            for (final RecipientType type : new RecipientType[]{RecipientType.BIREYSEL, RecipientType.TACIR})
            {
                final long packed = ConsentKeyDescriptor.phoneKey(channel, type, DIGITS);
                forms.put("packed " + channel + "/" + type + " LE", bytes(packed, ByteOrder.LITTLE_ENDIAN));
                forms.put("packed " + channel + "/" + type + " BE", bytes(packed, ByteOrder.BIG_ENDIAN));
            }
        }
        forms.put("digits as a 64-bit word LE", bytes(DIGITS, ByteOrder.LITTLE_ENDIAN));
        forms.put("digits as a 64-bit word BE", bytes(DIGITS, ByteOrder.BIG_ENDIAN));
        for (final Path path : files)
        {
            if (Files.isDirectory(path))
            {
                continue;
            }
            final byte[] content = Files.readAllBytes(path);
            for (final Map.Entry<String, byte[]> form : forms.entrySet())
            {
                assertEquals(-1, indexOf(content, form.getValue()), path + " holds the recipient as " + form.getKey());
            }
        }
    }

    private static byte[] bytes(final long value, final ByteOrder order)
    {
        return ByteBuffer.allocate(8).order(order).putLong(value).array();
    }

    private static int indexOf(final byte[] haystack, final byte[] needle)
    {
        // ISO-8859-1 maps each byte to one char, so a byte sequence is found as a string
        return new String(haystack, StandardCharsets.ISO_8859_1)
            .indexOf(new String(needle, StandardCharsets.ISO_8859_1));
    }

    private static String mode(final Path path) throws IOException
    {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
    }
}
