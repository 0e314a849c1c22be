package io.iysfilter.server.index;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The two small text files beside a brand's maps that say it must not be trusted (docs/INDEX.md, "Integrity"):
 * <ul>
 *   <li>{@value #DAMAGED} holds why verification or recovery found the index damaged. It is sticky: once written,
 *   only rebuilding the brand (or restoring its map files from a backup and deleting this file, so that they are
 *   verified again) makes the brand ready.</li>
 *   <li>{@value #IMPORT_MARKER} holds one line per import into the brand that has started and not finished; it is
 *   written and forced before the import's first change and its line removed once every change is applied.</li>
 * </ul>
 * Both are replaced through {@link DurableFiles}, so a crash leaves the old or the new content.
 */
final class IntegrityFiles
{
    static final String DAMAGED = "damaged";
    static final String IMPORT_MARKER = "import.inprogress";
    /** A finding against the brand's dealer map alone: dealer decisions DENY, brand decisions unaffected. */
    static final String DEALERS_DAMAGED = "dealers.damaged";

    private IntegrityFiles()
    {
    }

    /**
     * @param directory a brand's directory.
     * @return what {@value #DAMAGED} says, or null when there is no such file.
     * @throws IOException when it exists and cannot be read.
     */
    static String damage(final Path directory) throws IOException
    {
        return finding(directory, DAMAGED, "marked damaged (no reason recorded)");
    }

    /**
     * Record why a brand is damaged, after what an earlier finding recorded.
     *
     * @param directory a brand's directory.
     * @param cause     one line.
     * @throws IOException when it cannot be written.
     */
    static void recordDamage(final Path directory, final String cause) throws IOException
    {
        record(directory, DAMAGED, cause);
    }

    /**
     * @param directory a brand's directory.
     * @return what {@value #DEALERS_DAMAGED} says, or null when there is no such file.
     * @throws IOException when it exists and cannot be read.
     */
    static String dealerDamage(final Path directory) throws IOException
    {
        return finding(directory, DEALERS_DAMAGED, "dealer map marked damaged (no reason recorded)");
    }

    /**
     * Record why a brand's dealer map is damaged, after what an earlier finding recorded.
     *
     * @param directory a brand's directory.
     * @param cause     one line.
     * @throws IOException when it cannot be written.
     */
    static void recordDealerDamage(final Path directory, final String cause) throws IOException
    {
        record(directory, DEALERS_DAMAGED, cause);
    }

    private static String finding(final Path directory, final String name, final String unexplained)
        throws IOException
    {
        final Path file = directory.resolve(name);
        if (!Files.exists(file))
        {
            return null;
        }
        final String text = Files.readString(file, StandardCharsets.UTF_8).trim();
        return text.isEmpty() ? unexplained : text.replace('\n', ';');
    }

    /**
     * Add a finding's line to the file, unless it holds that line already: verification at every start finds the
     * same damage again, and the file (and the reason read from it) must not grow by a copy per restart.
     */
    private static void record(final Path directory, final String name, final String cause) throws IOException
    {
        final Path file = directory.resolve(name);
        final List<String> before = Files.exists(file) ? Files.readAllLines(file, StandardCharsets.UTF_8) : List.of();
        final String line = oneLine(cause);
        if (before.contains(line))
        {
            return;
        }
        final StringBuilder text = new StringBuilder();
        for (final String kept : before)
        {
            text.append(kept).append('\n');
        }
        DurableFiles.replace(directory, name, text.append(line).append('\n').toString());
    }

    /**
     * @param directory a brand's directory.
     * @return the imports that started and did not finish, one line each; empty when none.
     * @throws IOException when the marker exists and cannot be read.
     */
    static List<String> unfinishedImports(final Path directory) throws IOException
    {
        final Path file = directory.resolve(IMPORT_MARKER);
        if (!Files.exists(file))
        {
            return List.of();
        }
        final List<String> lines = new ArrayList<>();
        for (final String line : Files.readAllLines(file, StandardCharsets.UTF_8))
        {
            if (!line.isBlank())
            {
                lines.add(line.trim());
            }
        }
        if (lines.isEmpty())
        {
            lines.add("an import (the marker names none)");
        }
        return lines;
    }

    /**
     * Add an import to the marker, forced to disk. An import of the same name that did not finish is the same line:
     * running it again to the end completes it.
     *
     * @param directory a brand's directory.
     * @param name      the import's name, e.g. its file name; one line.
     * @throws IOException when the marker cannot be written.
     */
    static void importStarted(final Path directory, final String name) throws IOException
    {
        final List<String> lines = new ArrayList<>(readMarker(directory));
        if (lines.contains(oneLine(name)))
        {
            return;
        }
        lines.add(oneLine(name));
        DurableFiles.replace(directory, IMPORT_MARKER, String.join("\n", lines) + "\n");
    }

    /**
     * Remove the line naming this import from the marker, and the marker once it names none.
     *
     * @param directory a brand's directory.
     * @param name      the name given to {@link #importStarted}.
     * @throws IOException when the marker cannot be written.
     */
    static void importFinished(final Path directory, final String name) throws IOException
    {
        final List<String> lines = new ArrayList<>(readMarker(directory));
        lines.remove(oneLine(name));
        if (lines.isEmpty())
        {
            Files.deleteIfExists(directory.resolve(IMPORT_MARKER));
            DurableFiles.forceDirectory(directory);
        }
        else
        {
            DurableFiles.replace(directory, IMPORT_MARKER, String.join("\n", lines) + "\n");
        }
    }

    private static List<String> readMarker(final Path directory) throws IOException
    {
        final Path file = directory.resolve(IMPORT_MARKER);
        return Files.exists(file) ? Files.readAllLines(file, StandardCharsets.UTF_8).stream()
            .filter(line -> !line.isBlank()).toList() : List.of();
    }

    private static String oneLine(final String text)
    {
        return text.replace('\n', ' ').replace('\r', ' ').trim();
    }

}
