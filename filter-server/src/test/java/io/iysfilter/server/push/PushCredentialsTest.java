package io.iysfilter.server.push;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The push credentials file: salted hashes only, owner-only, checked, rotated through a second line.
 */
@Timeout(60)
class PushCredentialsTest
{
    @TempDir
    Path dir;

    @Test
    void shouldKeepOnlyASaltedHashAndCheckThePair() throws IOException
    {
        final Path file = dir.resolve("push.credentials");
        PushCredentials.put(file, "iys", "first-password");
        final String text = Files.readString(file);
        assertFalse(text.contains("first-password"));
        assertTrue(text.startsWith("iys:pbkdf2-sha256:" + PushCredentials.ITERATIONS + ":"), text);
        assertFalse(Files.getPosixFilePermissions(file).contains(PosixFilePermission.OTHERS_READ));
        PushCredentials.put(dir.resolve("other"), "iys", "first-password");
        assertFalse(Files.readString(dir.resolve("other")).equals(text), "salted: the same password hashes apart");

        final PushCredentials credentials = PushCredentials.load(file);
        assertTrue(credentials.check("iys", "first-password"));
        assertTrue(credentials.check("iys", "first-password"), "remembered after the first derivation");
        assertFalse(credentials.check("iys", "first-passwore"));
        assertFalse(credentials.check("nobody", "first-password"));
    }

    @Test
    void shouldRotateThroughASecondUserWithoutAGap() throws IOException
    {
        final Path file = dir.resolve("push.credentials");
        PushCredentials.put(file, "iys-a", "old");
        final PushCredentials credentials = PushCredentials.load(file);
        assertTrue(credentials.check("iys-a", "old"));
        PushCredentials.put(file, "iys-b", "new");
        // a file replaced within the same timestamp tick would go unseen: move its time on, as a later write does
        Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.fromMillis(
            Files.getLastModifiedTime(file).toMillis() + 2_000));
        assertTrue(credentials.check("iys-a", "old"), "the old pair holds while İYS still uses it");
        assertTrue(credentials.check("iys-b", "new"), "the new pair is taken without a restart");
        assertEquals(2, credentials.usernames().size());
    }

    @Test
    void shouldRefuseAMalformedFileNamingTheLineNotTheSecret() throws IOException
    {
        final Path file = dir.resolve("push.credentials");
        Files.writeString(file, "# comment\niys:plain:secret\n");
        final IOException refused = assertThrows(IOException.class, () -> PushCredentials.load(file));
        assertTrue(refused.getMessage().contains("line 2"), refused.getMessage());
        assertFalse(refused.getMessage().contains("secret"), refused.getMessage());
    }
}
