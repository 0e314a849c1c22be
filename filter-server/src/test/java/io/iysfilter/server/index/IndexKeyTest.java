package io.iysfilter.server.index;

import io.iysfilter.server.TestKeys;
import io.iysfilter.server.decision.Reason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The key file (created once, owner-only, refused when open to others or of the wrong length) and the index's
 * refusal to be read under any other key than the one it was written with, or in the format before keyed keys.
 */
class IndexKeyTest
{
    private static final long BRAND = 600_001;

    @TempDir
    Path dir;

    @Test
    void shouldCreateTheKeyFileOnceOwnerOnlyAndReadItBack() throws IOException
    {
        final Path file = dir.resolve("keys").resolve("index.key");
        final IndexKey created = IndexKey.loadOrCreate(file);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals(IndexKey.LENGTH, Files.size(file));
        assertTrue(Files.list(file.getParent()).allMatch(file::equals), "no temporary file is left behind");
        final IndexKey again = IndexKey.loadOrCreate(file);
        assertEquals(created.checkValue(BRAND), again.checkValue(BRAND), "the second start reads the same key");
        assertNotEquals(created.checkValue(BRAND), IndexKey.loadOrCreate(dir.resolve("other.key")).checkValue(BRAND));
    }

    @Test
    void shouldRefuseAKeyFileOthersMayRead() throws IOException
    {
        final Path file = TestKeys.writeKeyFile(dir.resolve("index.key"));
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        final IOException refused = assertThrows(IOException.class, () -> IndexKey.loadOrCreate(file));
        assertTrue(refused.getMessage().contains("chmod 600"), refused.getMessage());
    }

    @Test
    void shouldRefuseAKeyFileOfTheWrongLength() throws IOException
    {
        final Path file = dir.resolve("index.key");
        Files.write(file, "too short".getBytes(StandardCharsets.US_ASCII));
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        final IOException refused = assertThrows(IOException.class, () -> IndexKey.load(file));
        assertTrue(refused.getMessage().contains("holds 9 bytes"), refused.getMessage());
    }

    @Test
    void shouldPlaceTheDefaultKeyFileBesideTheDataDirectory()
    {
        assertEquals(Path.of("/var/lib/iys-filter/data.key"),
            IndexKey.defaultFile(Path.of("/var/lib/iys-filter/data/")));
    }

    @Test
    void shouldRefuseABrandWrittenUnderAnotherKeyAsDamaged() throws IOException
    {
        final Path dataDir = dir.resolve("data");
        try (ConsentStore store = ConsentStore.open(dataDir, TestKeys.options(1_000)))
        {
            store.writer().createBrand(BRAND);
        }
        try (ConsentStore store = ConsentStore.open(dataDir, TestKeys.options(1_000).withKey(IndexKey.generate())))
        {
            final BrandIndex brand = store.brand(BRAND);
            assertEquals(Reason.INDEX_DAMAGED, brand.unreadyReason(), "never answered from keys of another key");
            assertNull(brand.writer(), "and never written under it");
            assertTrue(brand.damage().contains("under another key"), brand.damage());
        }
        try (ConsentStore store = ConsentStore.open(dataDir, TestKeys.options(1_000)))
        {
            assertNull(store.brand(BRAND).unreadyReason(), "the right key reads it again");
        }
    }

    @Test
    void shouldRefuseToMakeANewKeyBesideBrandsWrittenUnderAnother() throws IOException
    {
        final Path dataDir = dir.resolve("data");
        final Path keyFile = IndexKey.defaultFile(dataDir);
        assertEquals(TestKeys.KEY.checkValue(BRAND), IndexKey.forDataDirectory(TestKeys.writeKeyFile(keyFile),
            dataDir).checkValue(BRAND), "an existing key file is read");
        try (ConsentStore store = ConsentStore.open(dataDir, TestKeys.options(1_000)))
        {
            store.writer().createBrand(BRAND);
        }
        Files.delete(keyFile);
        final IOException refused = assertThrows(IOException.class, () -> IndexKey.forDataDirectory(keyFile, dataDir));
        assertTrue(refused.getMessage().contains("key file missing") && refused.getMessage().contains("1 brand(s)"),
            refused.getMessage());
        assertTrue(!Files.exists(keyFile), "no new key was made");
        IndexKey.forDataDirectory(dir.resolve("empty.key"), dir.resolve("empty"));
        assertTrue(Files.exists(dir.resolve("empty.key")), "a data directory without brands gets its key");
    }

    @Test
    void shouldRefuseAnIndexOfTheFormatBeforeKeyedKeys() throws IOException
    {
        final Path dataDir = dir.resolve("data");
        try (ConsentStore store = ConsentStore.open(dataDir, TestKeys.options(1_000)))
        {
            store.writer().createBrand(BRAND);
        }
        final Path meta = dataDir.resolve("brands").resolve(Long.toString(BRAND)).resolve(BrandMeta.FILE_NAME);
        Files.writeString(meta, Files.readString(meta).replace("format=2", "format=1"));
        try (ConsentStore store = ConsentStore.open(dataDir, TestKeys.options(1_000)))
        {
            final BrandIndex brand = store.brand(BRAND);
            assertEquals(Reason.INDEX_DAMAGED, brand.unreadyReason());
            assertTrue(brand.damage().contains("format 1 predates keyed index keys") &&
                brand.damage().contains("import it again"), brand.damage());
        }
    }
}
