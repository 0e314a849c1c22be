package io.iysfilter.server.push;

import io.iysfilter.server.index.DurableFiles;

import javax.crypto.Mac;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The HTTP Basic credentials İYS presents on a push, kept only as salted hashes: a file of lines
 * {@code username:pbkdf2-sha256:iterations:salt:hash} (salt and hash in Base64; {@code #} starts a comment). At most
 * a few lines: one per connection registered with İYS, two while credentials are rotated. The plain password is
 * given to İYS at registration and never stored here.
 * <p>
 * A check derives the hash of the password presented and compares it in constant time; a username that is not in
 * the file costs the same derivation. A pair once verified is remembered as a keyed digest, so the next push with
 * the same pair costs one HMAC rather than a derivation. The file is read again when its modification time changes
 * (rotation adds a line, then removes the old one). Thread-safe.
 */
public final class PushCredentials
{
    /** Iterations of a new hash. */
    public static final int ITERATIONS = 100_000;
    private static final String SCHEME = "pbkdf2-sha256";
    private static final int SALT_BYTES = 16;
    private static final int HASH_BITS = 256;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Entry NOBODY = new Entry(SCHEME, ITERATIONS, new byte[SALT_BYTES], new byte[HASH_BITS / 8]);

    private final Path file;
    private final byte[] rememberKey = new byte[32];
    private volatile Map<String, Entry> entries;
    private volatile FileTime loadedTime;
    private final Map<String, byte[]> verified = new HashMap<>();

    private record Entry(String scheme, int iterations, byte[] salt, byte[] hash)
    {
    }

    private PushCredentials(final Path file, final Map<String, Entry> entries, final FileTime loadedTime)
    {
        this.file = file;
        this.entries = entries;
        this.loadedTime = loadedTime;
        RANDOM.nextBytes(rememberKey);
    }

    /**
     * @param file the credentials file.
     * @return its credentials.
     * @throws IOException when it cannot be read or a line is malformed (naming the line, never its secret).
     */
    public static PushCredentials load(final Path file) throws IOException
    {
        final FileTime time = Files.getLastModifiedTime(file);
        return new PushCredentials(file, parse(file), time);
    }

    /**
     * Whether this pair was verified since the file was last read: a keyed hash, no key derivation, so cheap enough
     * to answer before any limit on derivations.
     *
     * @param username  as presented.
     * @param password  as presented.
     * @return true when the pair is known good; false says nothing either way.
     */
    public boolean remembered(final String username, final String password)
    {
        reloadIfChanged();
        final byte[] remembered;
        synchronized (verified)
        {
            remembered = entries.containsKey(username) ? verified.get(username) : null;
        }
        return remembered != null && MessageDigest.isEqual(remembered, hmac(username, password));
    }

    /**
     * @param username  as presented.
     * @param password  as presented.
     * @return whether the file holds this pair.
     */
    public boolean check(final String username, final String password)
    {
        if (remembered(username, password))
        {
            return true;
        }
        final Entry entry = entries.get(username);
        final Entry against = entry == null ? NOBODY : entry;
        final boolean ok = MessageDigest.isEqual(against.hash, derive(password, against.salt, against.iterations)) &&
            entry != null;
        if (ok)
        {
            synchronized (verified)
            {
                verified.put(username, hmac(username, password));
            }
        }
        return ok;
    }

    /**
     * @return the usernames the file holds.
     */
    public List<String> usernames()
    {
        return List.copyOf(entries.keySet());
    }

    /**
     * A new line for the file.
     *
     * @param username the username.
     * @param password the plain password, given to İYS only.
     * @return {@code username:pbkdf2-sha256:iterations:salt:hash}.
     */
    public static String hashLine(final String username, final String password)
    {
        if (!username.matches("[A-Za-z0-9_.-]{1,64}"))
        {
            throw new IllegalArgumentException("username: '" + username + "' (expected: 1..64 letters, digits, " +
                "_ . -)");
        }
        final byte[] salt = new byte[SALT_BYTES];
        RANDOM.nextBytes(salt);
        final Base64.Encoder base64 = Base64.getEncoder();
        return username + ":" + SCHEME + ":" + ITERATIONS + ":" + base64.encodeToString(salt) + ":" +
            base64.encodeToString(derive(password, salt, ITERATIONS));
    }

    /**
     * @return a new random password: 32 characters, about 190 bits.
     */
    public static String newPassword()
    {
        final byte[] bytes = new byte[24];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /**
     * Add or replace a user's line, written whole to a temporary file, forced, then moved in place.
     *
     * @param file     the credentials file, created when missing.
     * @param username the username.
     * @param password the plain password.
     * @throws IOException when the file cannot be written.
     */
    public static void put(final Path file, final String username, final String password) throws IOException
    {
        final List<String> lines = othersThan(file, username);
        lines.add(hashLine(username, password));
        replace(file, lines);
    }

    /**
     * Remove a user's line (after its connection was removed from İYS), the file rewritten as by {@link #put}.
     *
     * @param file     the credentials file.
     * @param username the username.
     * @return whether the file held it.
     * @throws IOException when the file cannot be read or written.
     */
    public static boolean remove(final Path file, final String username) throws IOException
    {
        if (!Files.exists(file))
        {
            return false;
        }
        final List<String> lines = othersThan(file, username);
        if (lines.size() == Files.readAllLines(file, StandardCharsets.UTF_8).size())
        {
            return false;
        }
        replace(file, lines);
        return true;
    }

    /**
     * Write a plain password to a file of its own, readable by its owner only, forced: for a connection İYS may hold
     * whose password would otherwise be known nowhere (docs/PUSH.md, a registration whose answer was lost).
     *
     * @param file     the file, replaced when present.
     * @param password the plain password.
     * @throws IOException when it cannot be written.
     */
    public static void keepPassword(final Path file, final String password) throws IOException
    {
        Files.deleteIfExists(file);
        PushLog.ownerOnly(file);
        Files.writeString(file, password + "\n", StandardCharsets.UTF_8);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE))
        {
            channel.force(true);
        }
        final Path directory = file.toAbsolutePath().getParent();
        if (directory != null)
        {
            DurableFiles.forceDirectory(directory);
        }
    }

    private static List<String> othersThan(final Path file, final String username) throws IOException
    {
        final List<String> lines = new ArrayList<>();
        if (Files.exists(file))
        {
            for (final String line : Files.readAllLines(file, StandardCharsets.UTF_8))
            {
                if (!line.startsWith(username + ":"))
                {
                    lines.add(line);
                }
            }
        }
        return lines;
    }

    private static void replace(final Path file, final List<String> lines) throws IOException
    {
        final Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(temporary);
        PushLog.ownerOnly(temporary);
        Files.write(temporary, lines, StandardCharsets.UTF_8);
        try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE))
        {
            channel.force(true);
        }
        Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        final Path directory = file.toAbsolutePath().getParent();
        if (directory != null)
        {
            DurableFiles.forceDirectory(directory);
        }
    }

    private void reloadIfChanged()
    {
        try
        {
            final FileTime time = Files.getLastModifiedTime(file);
            if (!time.equals(loadedTime))
            {
                final Map<String, Entry> fresh = parse(file);
                synchronized (verified)
                {
                    verified.clear();
                }
                entries = fresh;
                loadedTime = time;
            }
        }
        catch (final IOException ex)
        {
            // keep the credentials in force: a file being replaced, or broken, must not lock İYS out or let it in
        }
    }

    private static Map<String, Entry> parse(final Path file) throws IOException
    {
        final Map<String, Entry> parsed = new HashMap<>();
        int number = 0;
        for (final String raw : Files.readAllLines(file, StandardCharsets.UTF_8))
        {
            number++;
            final String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#"))
            {
                continue;
            }
            final String[] parts = line.split(":", -1);
            try
            {
                if (parts.length != 5 || !SCHEME.equals(parts[1]) || parts[0].isEmpty())
                {
                    throw new IllegalArgumentException("expected username:" + SCHEME + ":iterations:salt:hash");
                }
                final int iterations = Integer.parseInt(parts[2]);
                if (iterations < 1_000)
                {
                    throw new IllegalArgumentException("iterations below 1000");
                }
                parsed.put(parts[0], new Entry(SCHEME, iterations, Base64.getDecoder().decode(parts[3]),
                    Base64.getDecoder().decode(parts[4])));
            }
            catch (final IllegalArgumentException ex)
            {
                throw new IOException(file + " line " + number + ": " + ex.getMessage(), ex);
            }
        }
        return Map.copyOf(parsed);
    }

    private byte[] hmac(final String username, final String password)
    {
        try
        {
            final Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(rememberKey, "HmacSHA256"));
            mac.update(username.getBytes(StandardCharsets.UTF_8));
            mac.update((byte)0);
            return mac.doFinal(password.getBytes(StandardCharsets.UTF_8));
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException("HmacSHA256 unavailable", ex);
        }
    }

    private static byte[] derive(final String password, final byte[] salt, final int iterations)
    {
        try
        {
            final PBEKeySpec spec = new PBEKeySpec(password.toCharArray(), salt, iterations, HASH_BITS);
            return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException("PBKDF2WithHmacSHA256 unavailable", ex);
        }
    }
}
