package io.iysfilter.server.index;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.security.CodeSource;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Chronicle Values implementations the index uses come compiled with the server (src/build/java), so Chronicle
 * loads them instead of running javac at start-up. A class generated at run time has no code source.
 */
class PregeneratedValuesTest
{
    @ParameterizedTest
    @ValueSource(strings = {
        "io.iysfilter.server.index.ConsentValue$$Native",
        "io.iysfilter.server.index.ConsentValue$$Heap",
        "io.iysfilter.server.index.EmailKey$$Native",
        "io.iysfilter.server.index.EmailKey$$Heap",
        "net.openhft.chronicle.core.values.LongValue$$Native",
        "net.openhft.chronicle.core.values.LongValue$$Heap",
        "net.openhft.chronicle.hash.VanillaGlobalMutableState$$Native",
        "net.openhft.chronicle.hash.VanillaGlobalMutableState$$Heap"})
    void isOnTheClassPathNotGeneratedAtRunTime(final String name) throws Exception
    {
        final Class<?> type = Class.forName(name, false, getClass().getClassLoader());
        final CodeSource source = type.getProtectionDomain().getCodeSource();
        assertNotNull(source, name + " was generated at run time");
        assertTrue(source.getLocation().getPath().contains("filter-server"), source.getLocation().toString());
    }
}
