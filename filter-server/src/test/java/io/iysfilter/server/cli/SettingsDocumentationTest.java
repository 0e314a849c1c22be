package io.iysfilter.server.cli;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's settings tables are the settings' one declaration ({@link Setting#ALL}) written out: a setting added
 * without its row, a row left after its setting went, or a default or description changed on one side only fails
 * here. The expected tables are written to {@code target/settings-tables.md}, to paste.
 */
class SettingsDocumentationTest
{
    private static final Path ROOT = Path.of(System.getProperty("iys.repository.root", "..")).toAbsolutePath();
    private static final Pattern ROW = Pattern.compile("^\\| `([^`]+)` \\|.*");
    private static final String HEADER = "| setting | default | meaning |\n|---|---|---|\n";

    static String table(final Setting.Group group)
    {
        final StringBuilder table = new StringBuilder(HEADER);
        for (final Setting<?> setting : Setting.ALL)
        {
            if (setting.group() == group)
            {
                table.append(row(setting)).append('\n');
            }
        }
        return table.toString();
    }

    static String row(final Setting<?> setting)
    {
        return "| `" + setting.name() + "` | " + setting.shownDefault() + " | " + setting.description() + " |";
    }

    @Test
    void shouldHoldEachSettingsTableOfTheReadmeAsDeclared() throws Exception
    {
        final String readme = Files.readString(ROOT.resolve("README.md"));
        final StringBuilder expected = new StringBuilder();
        for (final Setting.Group group : Setting.Group.values())
        {
            expected.append(table(group)).append('\n');
        }
        Files.createDirectories(Path.of("target"));
        Files.writeString(Path.of("target/settings-tables.md"), expected);
        for (final Setting.Group group : Setting.Group.values())
        {
            assertTrue(readme.contains(table(group)), "README.md's " + group + " settings table differs from the " +
                "declaration in Setting; expected (also in filter-server/target/settings-tables.md):\n" + table(group));
        }
    }

    @Test
    void shouldDescribeADeclaredSettingOnlyAsDeclaredWhereverADocumentHasARowForIt() throws Exception
    {
        for (final String document : new String[]{"README.md", "docs/OPERATIONS.md"})
        {
            final List<String> drifted = new ArrayList<>();
            for (final String line : Files.readAllLines(ROOT.resolve(document)))
            {
                final Matcher row = ROW.matcher(line);
                if (row.matches())
                {
                    for (final Setting<?> setting : Setting.ALL)
                    {
                        if (setting.name().equals(row.group(1)) && !line.equals(row(setting)))
                        {
                            drifted.add(line + "\n  expected: " + row(setting));
                        }
                    }
                }
            }
            assertEquals(List.of(), drifted, document);
        }
    }

    @Test
    void shouldDeclareEverySettingWithADescriptionAndADefault()
    {
        for (final Setting<?> setting : Setting.ALL)
        {
            assertTrue(!setting.description().isBlank() && !setting.shownDefault().isBlank() &&
                !setting.shownDefault().equals("``"), setting.name());
            assertTrue(!setting.description().contains("|"), "a table cell cannot hold '|': " + setting.name());
        }
    }
}
