package io.iysfilter.server.index;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The secret the index is keyed with (docs/SECURITY.md): 32 random bytes in a key file outside the data directory
 * (setting {@code key-file}), generated on first use with mode 0600, read at start. Every key the server needs is
 * derived from it with HMAC-SHA-256 under a label, so no two uses share a key: per brand the Speck64/128 key that
 * permutes phone keys, the SipHash key of e-mail keys and a check value kept in {@code brand.meta} (so an index
 * opened with another key is refused, never read wrongly); and the AES key of the opt-out logs' records.
 * <p>
 * Lose the key file and the indexes cannot be read: every brand is refused as INDEX_DAMAGED and must be imported
 * again. Rotating the key is the same: a new key file, then a re-import of every brand.
 */
public final class IndexKey
{
    /** Bytes of key material in the key file. */
    public static final int LENGTH = 32;
    private static final String HMAC = "HmacSHA256";
    private static final String LABEL_PREFIX = "iys-filter index key v2/";
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    private final byte[] material;

    private IndexKey(final byte[] material)
    {
        if (material.length != LENGTH)
        {
            throw new IllegalArgumentException("key material: " + material.length + " bytes (expected: " + LENGTH +
                ")");
        }
        this.material = material.clone();
    }

    /**
     * @return a new random key, held in memory only (tests, benchmarks, the demo's temporary data).
     */
    public static IndexKey generate()
    {
        final byte[] material = new byte[LENGTH];
        new SecureRandom().nextBytes(material);
        return new IndexKey(material);
    }

    /**
     * @param material {@link #LENGTH} bytes.
     * @return the key they make.
     */
    public static IndexKey of(final byte[] material)
    {
        return new IndexKey(material);
    }

    /**
     * The key file used when {@code key-file} is not set: beside the data directory, never in it, named after it
     * ({@code /var/lib/iys-filter/data} → {@code /var/lib/iys-filter/data.key}).
     *
     * @param dataDirectory the data directory.
     * @return the default key file.
     */
    public static Path defaultFile(final Path dataDirectory)
    {
        final Path absolute = dataDirectory.toAbsolutePath().normalize();
        final Path name = absolute.getFileName();
        if (name == null)
        {
            throw new IllegalArgumentException("data directory is the root, set key-file: " + dataDirectory);
        }
        return absolute.resolveSibling(name + ".key");
    }

    /**
     * Read the key file, creating it first when it does not exist.
     *
     * @param file the key file.
     * @return the key.
     * @throws IOException when it cannot be created or read, or is refused: readable or writable by group or others,
     *                     or not exactly {@link #LENGTH} bytes.
     */
    public static IndexKey loadOrCreate(final Path file) throws IOException
    {
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS))
        {
            create(file);
        }
        return load(file);
    }

    /**
     * Read the key file of a data directory, creating it first only when the directory holds no brand yet: a data
     * directory with brands and no key file lost its key, and a new one would leave every brand unreadable
     * (INDEX_DAMAGED), so that is refused with what to do instead.
     *
     * @param file          the key file.
     * @param dataDirectory the data directory it keys.
     * @return the key.
     * @throws IOException as {@link #loadOrCreate}, or when the key file is missing beside existing brands.
     */
    public static IndexKey forDataDirectory(final Path file, final Path dataDirectory) throws IOException
    {
        final Path brands = dataDirectory.resolve("brands");
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS) && Files.isDirectory(brands))
        {
            try (Stream<Path> existing = Files.list(brands))
            {
                final long count = existing.count();
                if (count > 0)
                {
                    throw new IOException("key file missing: " + file + ", but " + dataDirectory + " holds " + count +
                        " brand(s) written under a key: restore the key file (key-file names it), or move the brands " +
                        "aside and import them again under a new key (docs/SECURITY.md)");
                }
            }
        }
        return loadOrCreate(file);
    }

    /**
     * Read an existing key file.
     *
     * @param file the key file.
     * @return the key.
     * @throws IOException when it is missing, unreadable, open to group or others, or not {@link #LENGTH} bytes.
     */
    public static IndexKey load(final Path file) throws IOException
    {
        final Set<PosixFilePermission> permissions;
        try
        {
            permissions = Files.getPosixFilePermissions(file);
        }
        catch (final NoSuchFileException ex)
        {
            throw new IOException("key file missing: " + file + " (without it the index cannot be read: restore " +
                "it from its backup, or re-import every brand under a new one, docs/SECURITY.md)", ex);
        }
        if (!OWNER_ONLY.containsAll(permissions))
        {
            throw new IOException("key file " + file + " has mode " + PosixFilePermissions.toString(permissions) +
                ": refused, it must be readable by its owner only (chmod 600 " + file + ")");
        }
        final byte[] material = Files.readAllBytes(file);
        if (material.length != LENGTH)
        {
            throw new IOException("key file " + file + " holds " + material.length + " bytes (expected: " +
                LENGTH + "): refused, it is not a key this server wrote");
        }
        return new IndexKey(material);
    }

    private static void create(final Path file) throws IOException
    {
        final Path absolute = file.toAbsolutePath();
        final Path directory = absolute.getParent();
        Files.createDirectories(directory);
        final byte[] material = new byte[LENGTH];
        new SecureRandom().nextBytes(material);
        final Path temporary = directory.resolve(absolute.getFileName() + ".tmp");
        Files.deleteIfExists(temporary);
        try (FileChannel channel = FileChannel.open(temporary, Set.of(StandardOpenOption.CREATE_NEW,
            StandardOpenOption.WRITE), PosixFilePermissions.asFileAttribute(OWNER_ONLY)))
        {
            // the umask may have narrowed the mode further, never widened it; set it exactly
            Files.setPosixFilePermissions(temporary, OWNER_ONLY);
            final ByteBuffer bytes = ByteBuffer.wrap(material);
            while (bytes.hasRemaining())
            {
                channel.write(bytes);
            }
            channel.force(true);
        }
        try
        {
            Files.move(temporary, absolute, StandardCopyOption.ATOMIC_MOVE);
        }
        catch (final FileAlreadyExistsException | AtomicMoveNotSupportedException ex)
        {
            Files.deleteIfExists(temporary);
            if (!Files.exists(absolute))
            {
                throw ex;
            }
            // another process created it at the same moment: use theirs
            return;
        }
        DurableFiles.forceDirectory(directory);
    }

    /**
     * @param label what the derived key is for.
     * @return 32 bytes: HMAC-SHA-256 of the label under the key material.
     */
    public byte[] derive(final String label)
    {
        try
        {
            final Mac mac = Mac.getInstance(HMAC);
            mac.init(new SecretKeySpec(material, HMAC));
            return mac.doFinal((LABEL_PREFIX + label).getBytes(StandardCharsets.UTF_8));
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException("HMAC-SHA-256 unavailable", ex);
        }
    }

    /**
     * @param brandCode İYS brand code.
     * @return the brand's key check value as {@code brand.meta} keeps it: 16 bytes of a MAC, in hex.
     */
    String checkValue(final long brandCode)
    {
        return HexFormat.of().formatHex(derive("check/" + brandCode), 0, 16);
    }

    /**
     * @param brandCode İYS brand code.
     * @return the brand's keys for deriving its index keys.
     */
    BrandKeys brandKeys(final long brandCode)
    {
        final ByteBuffer phone = ByteBuffer.wrap(derive("phone/" + brandCode)).order(ByteOrder.LITTLE_ENDIAN);
        final int[] roundKeys = Speck64.expandKey(phone.getInt(0), phone.getInt(4), phone.getInt(8),
            phone.getInt(12));
        final ByteBuffer email = ByteBuffer.wrap(derive("email/" + brandCode)).order(ByteOrder.LITTLE_ENDIAN);
        return new BrandKeys(roundKeys, email.getLong(0), email.getLong(8));
    }

    @Override
    public String toString()
    {
        return "IndexKey[check=" + HexFormat.of().formatHex(derive("check"), 0, 4) + "]";
    }
}
