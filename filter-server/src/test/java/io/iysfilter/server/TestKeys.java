package io.iysfilter.server;

import io.iysfilter.server.index.IndexKey;
import io.iysfilter.server.index.IndexOptions;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The one index key the tests build indexes with, held in memory, so that an index written by one part of a test
 * opens in another (a server, a reopen, a child JVM) and no key file is left behind. A fixed, public test value: it
 * protects nothing.
 */
public final class TestKeys
{
    /** The tests' key material: the bytes of a fixed phrase. */
    private static final byte[] MATERIAL =
        "iys-filter tests' index key, 32B".getBytes(StandardCharsets.US_ASCII);
    /** The tests' key. */
    public static final IndexKey KEY = IndexKey.of(MATERIAL);

    private TestKeys()
    {
    }

    /**
     * @param entriesPerMap sizing of new maps.
     * @return {@link IndexOptions#withEntries} with the tests' key.
     */
    public static IndexOptions options(final long entriesPerMap)
    {
        return IndexOptions.withEntries(entriesPerMap).withKey(KEY);
    }

    /**
     * Write the tests' key as a key file (mode 0600), for a command run with {@code --key-file}.
     *
     * @param file where.
     * @return the file.
     * @throws java.io.IOException when it cannot be written.
     */
    public static Path writeKeyFile(final Path file) throws java.io.IOException
    {
        Files.write(file, MATERIAL);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }
}
