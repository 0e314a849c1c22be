package io.iysfilter.server.build;

import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Build step: writes the Java source of the Chronicle Values implementations the index uses ({@code X$$Native}
 * and {@code X$$Heap} for each value interface), with the library's own generator, so that they are compiled
 * with the server instead of by javac inside the server at every start (about 1.3 s of its start-up).
 * Chronicle Values loads a class of that name when one exists and generates it only when not.
 */
public final class ValuesSourceGenerator
{
    private static final String[] INTERFACES = {
        "io.iysfilter.server.index.ConsentValue",
        "io.iysfilter.server.index.EmailKey",
        "net.openhft.chronicle.core.values.LongValue",
        "net.openhft.chronicle.hash.VanillaGlobalMutableState"};

    private ValuesSourceGenerator()
    {
    }

    /**
     * @param args the output source directory.
     * @throws Exception when the generator cannot be reached or a file written.
     */
    public static void main(final String[] args) throws Exception
    {
        final Path out = Path.of(args[0]);
        final Class<?> modelClass = Class.forName("net.openhft.chronicle.values.ValueModel");
        final Method acquire = modelClass.getMethod("acquire", Class.class);
        final Class<?> generators = Class.forName("net.openhft.chronicle.values.Generators");
        final Method nativeClass = generators.getDeclaredMethod("generateNativeClass", modelClass, String.class);
        final Method heapClass = generators.getDeclaredMethod("generateHeapClass", modelClass, String.class);
        nativeClass.setAccessible(true);
        heapClass.setAccessible(true);
        for (final String name : INTERFACES)
        {
            final Class<?> type = Class.forName(name);
            final Object model = acquire.invoke(null, type);
            write(out, type, "$$Native", (String)nativeClass.invoke(null, model, type.getSimpleName() + "$$Native"));
            write(out, type, "$$Heap", (String)heapClass.invoke(null, model, type.getSimpleName() + "$$Heap"));
        }
    }

    private static void write(final Path out, final Class<?> type, final String suffix, final String source)
        throws Exception
    {
        final Path file = out.resolve(type.getPackageName().replace('.', '/'))
            .resolve(type.getSimpleName() + suffix + ".java");
        Files.createDirectories(file.getParent());
        Files.writeString(file, source, StandardCharsets.UTF_8);
    }
}
