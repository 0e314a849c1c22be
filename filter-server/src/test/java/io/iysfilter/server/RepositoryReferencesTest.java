package io.iysfilter.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The repository is self-contained: no file refers to notes that live outside it (a sibling {@code shared}
 * directory of design notes that a clone does not have). What the project relies on from them is restated in its
 * own docs (docs/IYS-API.md, docs/MILTER-PROTOCOL.md, docs/BASELINE-MEASUREMENTS.md, docs/CONTRIBUTING.md).
 */
class RepositoryReferencesTest
{
    /**
     * A path into the sibling directory, or one of its notes by name. Written so that this file does not match
     * itself.
     */
    static final Pattern OUTSIDE_REFERENCE = Pattern.compile(
        "\\.\\./shared|shared[/\\\\]docs|(?<![\\w-])(?:BASELINES|MILTER|IYS|IYS-PUSH|STYLE|HARDENING)\\.md|" +
        "KAFKA[-]JAZZER");
    /** Build output, version control and the local data the .gitignore lists: not part of the repository. */
    static final Set<String> SKIPPED = Set.of(
        ".git", "target", ".idea", "demo-data", "loadtest-results", "loadtest-data", ".jqwik-database");
    /** No source or document comes near this; larger files are local data (generated lists, indexes). */
    static final long MAX_FILE_BYTES = 1 << 20;

    @Test
    void shouldFindNoReferenceOutsideTheRepository() throws IOException
    {
        final Path root = repositoryRoot();
        final List<String> found = outsideReferences(root);
        assertEquals(List.of(), found, "files under " + root + " refer to documents outside the repository; " +
            "restate what is needed in docs/ instead");
    }

    @Test
    void shouldReportEachReferenceWithItsFileAndLineAndSkipBuildOutput(@TempDir final Path dir) throws IOException
    {
        Files.createDirectories(dir.resolve("docs"));
        Files.writeString(dir.resolve("docs/A.md"), "fine\nsee ../" + "shared" + "/docs/IYS" + ".md §2\n");
        Files.writeString(dir.resolve("B.java"), "// after MILTER" + ".md §7.2\n");
        Files.writeString(dir.resolve("C.xml"), "<!-- docs/MILTER-PROTOCOL.md and docs/IYS-API.md are ours -->\n");
        Files.createDirectories(dir.resolve("module/target"));
        Files.writeString(dir.resolve("module/target/D.txt"), "../" + "shared\n");

        final List<String> found = outsideReferences(dir);

        assertEquals(2, found.size(), found.toString());
        assertTrue(found.get(0).startsWith("B.java:1: "), found.toString());
        assertTrue(found.get(1).startsWith("docs/A.md:2: "), found.toString());
    }

    /**
     * @param root the directory to scan.
     * @return one entry per offending line, {@code path:line: text}, paths relative to root, sorted.
     */
    static List<String> outsideReferences(final Path root) throws IOException
    {
        final List<String> found = new ArrayList<>();
        Files.walkFileTree(root, new SimpleFileVisitor<>()
        {
            @Override
            public FileVisitResult preVisitDirectory(final Path dir, final BasicFileAttributes attributes)
            {
                return !dir.equals(root) && SKIPPED.contains(dir.getFileName().toString()) ?
                    FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(final Path file, final BasicFileAttributes attributes) throws IOException
            {
                if (attributes.isRegularFile() && attributes.size() <= MAX_FILE_BYTES &&
                    !SKIPPED.contains(file.getFileName().toString()))
                {
                    scan(root, file, found);
                }
                return FileVisitResult.CONTINUE;
            }
        });
        found.sort(null);
        return found;
    }

    private static void scan(final Path root, final Path file, final List<String> found) throws IOException
    {
        // malformed bytes (a binary file) decode to U+FFFD rather than fail
        final String[] lines = new String(Files.readAllBytes(file), StandardCharsets.UTF_8).split("\n", -1);
        for (int i = 0; i < lines.length; i++)
        {
            if (OUTSIDE_REFERENCE.matcher(lines[i]).find())
            {
                found.add(root.relativize(file).toString().replace('\\', '/') + ":" + (i + 1) + ": " +
                    lines[i].trim());
            }
        }
    }

    /**
     * Maven runs a module's tests in the module's directory; the repository root is the nearest directory upwards
     * that holds the root pom and filter-server.
     */
    static Path repositoryRoot()
    {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null)
        {
            if (Files.isRegularFile(dir.resolve("pom.xml")) && Files.isRegularFile(dir.resolve("mvnw")) &&
                Files.isDirectory(dir.resolve("filter-server")))
            {
                return dir;
            }
            dir = dir.getParent();
        }
        throw new IllegalStateException("repository root not found above " + Path.of("").toAbsolutePath());
    }
}
