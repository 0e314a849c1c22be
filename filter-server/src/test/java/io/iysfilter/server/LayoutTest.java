package io.iysfilter.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The layout docs/ARCHITECTURE.md draws, held against the code's own references: the server's packages form the
 * layers of that page's table (read from it), each using only the layers below it, so dependencies point one way;
 * each third-party library that shapes a responsibility stays in the package that owns it; and the modules keep
 * their direction (protocol below client, client below server, no load-test or emulator code in the server).
 * <p>
 * A reference is an import, a static import or a fully qualified name in code (comments and strings are ignored).
 */
class LayoutTest
{
    /** Where the layer table lives: the one place it is written. */
    static final String ARCHITECTURE_PAGE = "docs/ARCHITECTURE.md";
    /** A row of that table: {@code | 8 | `binary`, `http`, `milter` | ...}; "(root)" is the root package. */
    private static final Pattern LAYER_ROW = Pattern.compile("^\\| (\\d+) \\| ([^|]+) \\|", Pattern.MULTILINE);
    private static final Pattern PACKAGE_NAME = Pattern.compile("`(\\w+)`|\\(root\\)");

    /** Library package prefixes and the server packages that alone may use them. */
    static final Map<String, Set<String>> CONFINED = Map.of(
        "net.openhft.", Set.of("index"),
        "com.lmax.", Set.of("ingest"),
        "org.apache.kafka.", Set.of("replication"),
        "io.netty.", Set.of("binary", "http", "milter", "resp", "net", "metrics"));

    private static final String SERVER = "io.iysfilter.server";
    private static final Pattern PACKAGE = Pattern.compile("^package ([\\w.]+);", Pattern.MULTILINE);
    private static final Pattern QUALIFIED = Pattern.compile("(?<![\\w.])((?:[a-z_][\\w]*\\.)+)[A-Z]\\w*");
    private static final Pattern COMMENT_OR_STRING = Pattern.compile(
        "/\\*.*?\\*/|//[^\\n]*|\"(?:\\\\.|[^\"\\\\])*\"|'(?:\\\\.|[^'\\\\])+'", Pattern.DOTALL);

    @Test
    void serverPackagesUseOnlyLowerLayers() throws IOException
    {
        final Path root = RepositoryReferencesTest.repositoryRoot();
        final List<String> found = layerViolations(root.resolve("filter-server/src/main/java"), layers(root));
        assertEquals(List.of(), found, "a package uses one of its own layer or above; see docs/ARCHITECTURE.md");
    }

    @Test
    void librariesStayInThePackageThatOwnsThem() throws IOException
    {
        final Path sources = RepositoryReferencesTest.repositoryRoot().resolve("filter-server/src/main/java");
        final List<String> found = new ArrayList<>();
        for (final Path file : javaFiles(sources))
        {
            final String from = serverPackage(file);
            for (final String used : references(file))
            {
                for (final Map.Entry<String, Set<String>> confined : CONFINED.entrySet())
                {
                    if (used.startsWith(confined.getKey()) && !confined.getValue().contains(from))
                    {
                        found.add(sources.relativize(file) + " uses " + used);
                    }
                }
            }
        }
        assertEquals(List.of(), found, "a library used outside the package that owns it");
    }

    @Test
    void modulesPointOneWay() throws IOException
    {
        final Path root = RepositoryReferencesTest.repositoryRoot();
        final List<String> found = new ArrayList<>();
        // the wire contract: the SBE schema's codecs and framing, on Agrona alone
        found.addAll(usesOutside(root.resolve("filter-protocol/src/main/java"),
            Set.of("java.", "org.agrona.", "io.iysfilter.protocol.")));
        // the Java client: the contract and Netty (and the JDK's TLS), nothing of the server or the tools
        found.addAll(usesOutside(root.resolve("filter-client/src/main/java"),
            Set.of("java.", "javax.net.ssl.", "org.agrona.", "io.netty.", "io.iysfilter.protocol.",
                "io.iysfilter.client.")));
        // the production server ships no load-test or emulator code
        for (final Path file : javaFiles(root.resolve("filter-server/src/main/java")))
        {
            for (final String used : references(file))
            {
                if (used.startsWith("io.iysfilter.loadtest.") || used.startsWith("io.iysfilter.emulator."))
                {
                    found.add(file.getFileName() + " uses " + used);
                }
            }
        }
        assertEquals(List.of(), found, "a module uses what lies above it");
    }

    @Test
    void shouldReportAnUpwardAndASidewaysUseButNotADownwardOne(@TempDir final Path dir) throws IOException
    {
        write(dir, "decision/Rule.java", "package " + SERVER + ".decision;\n" +
            "import " + SERVER + ".index.Store; // an upward import\n" +
            "/** see {@link " + SERVER + ".net.Nothing} in a comment: not code */\n" +
            "final class Rule { String s = \"" + SERVER + ".cli.Main\"; }\n");
        write(dir, "http/Api.java", "package " + SERVER + ".http;\n" +
            "import " + SERVER + ".decision.Rule;\n" +
            "final class Api { Object o = " + SERVER + ".milter.Session.NONE; }\n");
        write(dir, "index/Store.java", "package " + SERVER + ".index;\nimport " + SERVER + ".decision.Rule;\n" +
            "final class Store { }\n");

        final List<String> found = layerViolations(dir, List.of(Set.of("decision"), Set.of("index"),
            Set.of("http", "milter"), Set.of("net"), Set.of("cli")));

        assertEquals(List.of(
            "decision/Rule.java (decision) uses index (" + SERVER + ".index.Store)",
            "http/Api.java (http) uses milter (" + SERVER + ".milter.Session)"), found);
    }

    @Test
    void everyServerPackageHasALayer() throws IOException
    {
        final Path root = RepositoryReferencesTest.repositoryRoot();
        final Path sources = root.resolve("filter-server/src/main/java");
        final Set<String> layered = new TreeSet<>();
        layers(root).forEach(layered::addAll);
        final Set<String> present = new TreeSet<>();
        for (final Path file : javaFiles(sources))
        {
            present.add(serverPackage(file));
        }
        assertEquals(present, layered, "the packages of " + ARCHITECTURE_PAGE + "'s layer table and of the code");
    }

    @Test
    void shouldReadTheLayerTableLowestFirst(@TempDir final Path dir) throws IOException
    {
        Files.createDirectories(dir.resolve("docs"));
        Files.writeString(dir.resolve(ARCHITECTURE_PAGE), "| layer | package | what |\n|---|---|---|\n" +
            "| 3 | (root) | composition, see `FilterServer` |\n| 2 | `binary`, `http` | endpoints |\n" +
            "| 1 | `decision` | rules |\n");

        assertEquals(List.of(Set.of("decision"), Set.of("binary", "http"), Set.of("")), layers(dir));
    }

    /**
     * @param root the repository.
     * @return the server's packages, lowest layer first, as the architecture page's table lists them ("" is the
     * root package). A package may use a package of a lower layer only; packages of one layer may not use each
     * other.
     */
    static List<Set<String>> layers(final Path root) throws IOException
    {
        final String page = Files.readString(root.resolve(ARCHITECTURE_PAGE), StandardCharsets.UTF_8);
        final java.util.TreeMap<Integer, Set<String>> byLayer = new java.util.TreeMap<>();
        final Matcher row = LAYER_ROW.matcher(page);
        while (row.find())
        {
            final Set<String> packages = new TreeSet<>();
            final Matcher name = PACKAGE_NAME.matcher(row.group(2));
            while (name.find())
            {
                packages.add(name.group(1) == null ? "" : name.group(1));
            }
            assertTrue(byLayer.put(Integer.parseInt(row.group(1)), Set.copyOf(packages)) == null,
                "layer " + row.group(1) + " twice in " + ARCHITECTURE_PAGE);
        }
        assertTrue(byLayer.size() > 1, "no layer table found in " + ARCHITECTURE_PAGE);
        return List.copyOf(byLayer.values());
    }

    static List<String> layerViolations(final Path sources, final List<Set<String>> layers) throws IOException
    {
        final List<String> found = new ArrayList<>();
        for (final Path file : javaFiles(sources))
        {
            final String from = serverPackage(file);
            final int fromLayer = layerOf(layers, from);
            for (final String used : references(file))
            {
                if (!used.startsWith(SERVER + "."))
                {
                    continue;
                }
                final String to = serverPackage(used.substring(SERVER.length() + 1));
                if (!to.equals(from) && layerOf(layers, to) >= fromLayer)
                {
                    found.add(sources.relativize(file).toString().replace('\\', '/').replaceFirst(
                        "^io/iysfilter/server/", "") + " (" + from + ") uses " + to + " (" + used + ")");
                }
            }
        }
        return found;
    }

    private static List<String> usesOutside(final Path sources, final Set<String> allowed) throws IOException
    {
        final List<String> found = new ArrayList<>();
        for (final Path file : javaFiles(sources))
        {
            for (final String used : references(file))
            {
                if (allowed.stream().noneMatch(used::startsWith))
                {
                    found.add(file.getFileName() + " uses " + used);
                }
            }
        }
        return found;
    }

    private static int layerOf(final List<Set<String>> layers, final String serverPackage)
    {
        for (int i = 0; i < layers.size(); i++)
        {
            if (layers.get(i).contains(serverPackage))
            {
                return i;
            }
        }
        return Integer.MAX_VALUE;
    }

    /**
     * @param file or a name below {@code io.iysfilter.server}, such as {@code index.Store.X}.
     * @return the first segment of the package below {@code io.iysfilter.server}, "" for the root.
     */
    private static String serverPackage(final Object file) throws IOException
    {
        final String name;
        if (file instanceof Path path)
        {
            final Matcher matcher = PACKAGE.matcher(Files.readString(path, StandardCharsets.UTF_8));
            final String declared = matcher.find() ? matcher.group(1) : "";
            name = declared.equals(SERVER) ? "" : declared.startsWith(SERVER + ".") ?
                declared.substring(SERVER.length() + 1) + "." : declared;
        }
        else
        {
            name = (String)file;
        }
        final int dot = name.indexOf('.');
        return dot < 0 || Character.isUpperCase(name.charAt(0)) ? "" : name.substring(0, dot);
    }

    /**
     * @return every qualified name the file's code uses: its imports and any name written out in full.
     */
    static Set<String> references(final Path file) throws IOException
    {
        final String code = COMMENT_OR_STRING.matcher(Files.readString(file, StandardCharsets.UTF_8)).replaceAll(" ");
        final Set<String> used = new TreeSet<>();
        for (final String line : code.split("\n"))
        {
            final String trimmed = line.strip();
            if (trimmed.startsWith("package "))
            {
                continue;
            }
            final Matcher matcher = QUALIFIED.matcher(trimmed.startsWith("import static ") ?
                trimmed.substring("import static ".length()) : trimmed);
            while (matcher.find())
            {
                used.add(matcher.group());
            }
        }
        return used;
    }

    private static List<Path> javaFiles(final Path sources) throws IOException
    {
        try (Stream<Path> files = Files.walk(sources))
        {
            return files.filter(f -> f.toString().endsWith(".java")).sorted().toList();
        }
    }

    private static void write(final Path dir, final String relative, final String text) throws IOException
    {
        final Path file = dir.resolve("io/iysfilter/server").resolve(relative);
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
    }
}
