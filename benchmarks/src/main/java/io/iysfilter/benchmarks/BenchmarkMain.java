package io.iysfilter.benchmarks;

import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.OptionsBuilder;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Entry point of {@code benchmarks.jar}: JMH's own command line, with every fork given the JVM flags the build
 * recorded from the Maven property {@code iys.jvm.flags} (Chronicle Map and Agrona need them) and bounds checks off.
 */
public final class BenchmarkMain
{
    private BenchmarkMain()
    {
    }

    /**
     * @param args JMH command-line options, e.g. {@code IndexLookupBenchmark -p entries=1000000 -prof gc}.
     * @throws Exception when JMH fails.
     */
    public static void main(final String[] args) throws Exception
    {
        final List<String> flags = new ArrayList<>(jvmFlags());
        flags.add("-Dagrona.disable.bounds.checks=true");
        flags.add("-Dsbe.enable.precedence.checks=false");
        new Runner(new OptionsBuilder()
            .parent(new CommandLineOptions(args))
            .jvmArgsPrepend(flags.toArray(new String[0]))
            .build())
            .run();
    }

    static List<String> jvmFlags() throws IOException
    {
        try (InputStream in = BenchmarkMain.class.getResourceAsStream("/iys-jvm.options"))
        {
            final String text = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
            final List<String> flags = new ArrayList<>();
            for (final String flag : Arrays.asList(text.split("\\s+")))
            {
                if (!flag.isEmpty())
                {
                    flags.add(flag);
                }
            }
            return flags;
        }
    }
}
