package io.iysfilter.server;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A small tmpfs mounted for one test, so that the disk can really fill up. Mounting needs root (CI runs the tests as
 * root); elsewhere the test is skipped and says why. Close unmounts it.
 */
public final class SmallTmpfs implements AutoCloseable
{
    private static final int CHUNK = 64 * 1024;

    private final Path directory;

    private SmallTmpfs(final Path directory)
    {
        this.directory = directory;
    }

    /**
     * Mount a tmpfs of the given size on a directory, or skip the calling test when that is not possible here.
     *
     * @param directory  where, created if needed; should be empty.
     * @param megabytes  size of the file system.
     * @return the mount; close it in a finally block.
     * @throws Exception when the directory cannot be created or the mount cannot be run.
     */
    public static SmallTmpfs mount(final Path directory, final int megabytes) throws Exception
    {
        Assumptions.assumeTrue(System.getProperty("os.name", "").startsWith("Linux"),
            "a disk-full test needs a Linux tmpfs; os.name=" + System.getProperty("os.name"));
        Assumptions.assumeTrue(isRoot(), "a disk-full test mounts a small tmpfs, which needs root " +
            "(CI runs the tests as root); running as user " + System.getProperty("user.name"));
        Files.createDirectories(directory);
        final Result mounted = run("mount", "-t", "tmpfs", "-o", "size=" + megabytes + "m", "tmpfs",
            directory.toString());
        Assumptions.assumeTrue(mounted.exit == 0, "cannot mount a tmpfs here (no CAP_SYS_ADMIN?): " + mounted.output);
        return new SmallTmpfs(directory);
    }

    /**
     * @return the mount point.
     */
    public Path directory()
    {
        return directory;
    }

    /**
     * @return bytes a new file could still take.
     * @throws IOException when the file system cannot be queried.
     */
    public long usableBytes() throws IOException
    {
        return Files.getFileStore(directory).getUsableSpace();
    }

    /**
     * Write a filler file until no more than {@code leaveBytes} are usable (0: until a write fails for lack of
     * space).
     *
     * @param filler     the file to write, inside the mount.
     * @param leaveBytes usable bytes to leave.
     * @throws IOException when the file cannot be written for another reason.
     */
    public void fill(final Path filler, final long leaveBytes) throws IOException
    {
        final byte[] chunk = new byte[CHUNK];
        try (OutputStream out = Files.newOutputStream(filler))
        {
            long usable = usableBytes();
            while (usable > leaveBytes)
            {
                out.write(chunk, 0, (int)Math.max(1, Math.min(CHUNK, usable - leaveBytes)));
                out.flush();
                usable = usableBytes();
            }
        }
        catch (final IOException ex)
        {
            if (leaveBytes > 0 || !String.valueOf(ex.getMessage()).contains("No space left"))
            {
                throw ex;
            }
        }
    }

    /**
     * Unmount; lazily if something still holds a file open or mapped.
     */
    @Override
    public void close() throws IOException
    {
        final Result unmounted = run("umount", directory.toString());
        if (unmounted.exit != 0)
        {
            final Result lazily = run("umount", "-l", directory.toString());
            if (lazily.exit != 0)
            {
                throw new IOException("cannot unmount " + directory + ": " + unmounted.output + lazily.output);
            }
        }
    }

    private static boolean isRoot() throws IOException
    {
        final Path status = Path.of("/proc/self/status");
        if (!Files.exists(status))
        {
            return false;
        }
        for (final String line : Files.readAllLines(status, StandardCharsets.US_ASCII))
        {
            if (line.startsWith("Uid:"))
            {
                return line.split("\\s+")[2].equals("0");
            }
        }
        return false;
    }

    private record Result(int exit, String output)
    {
    }

    private static Result run(final String... command) throws IOException
    {
        final Process process = new ProcessBuilder(List.of(command)).redirectErrorStream(true).start();
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try
        {
            if (!process.waitFor(30, TimeUnit.SECONDS))
            {
                process.destroyForcibly();
                return new Result(-1, String.join(" ", command) + ": did not finish in 30 s");
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running " + String.join(" ", command), ex);
        }
        return new Result(process.exitValue(), output);
    }
}
