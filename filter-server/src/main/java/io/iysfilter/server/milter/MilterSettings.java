package io.iysfilter.server.milter;

import java.io.IOException;
import java.nio.file.Path;

/**
 * How the milter endpoint decides whom a message is from and when it refuses recipients.
 *
 * @param brandMap         sender → brand mapping.
 * @param brandHeader      whether an {@code X-IYS-Brand} header may name the brand when the mapping does not; off by
 *                         default, because any sender can write any header.
 * @param rejectAtRcpt     whether recipients without consent are refused at RCPT time ({@code 550 5.7.1}), so the
 *                         sending client learns it per recipient; only when the brand follows from the envelope or
 *                         AUTH. Otherwise they are removed at end of message.
 */
public record MilterSettings(MilterBrandMap brandMap, boolean brandHeader, boolean rejectAtRcpt)
{
    /** No mapping: every message is tempfailed until one is configured. */
    public static final MilterSettings NONE = new MilterSettings(MilterBrandMap.empty(), false, false);

    /**
     * @param brandMapFile the mapping file, or null for none.
     * @param brandHeader  allow {@code X-IYS-Brand}.
     * @param rejectAtRcpt refuse at RCPT time.
     * @return the settings.
     * @throws IOException when the mapping file cannot be read.
     */
    public static MilterSettings of(final Path brandMapFile, final boolean brandHeader, final boolean rejectAtRcpt)
        throws IOException
    {
        return new MilterSettings(brandMapFile == null ? MilterBrandMap.empty() : MilterBrandMap.load(brandMapFile),
            brandHeader, rejectAtRcpt);
    }

    /**
     * @return how many mapping entries there are.
     */
    public int mappings()
    {
        return brandMap.size();
    }
}
