package io.iysfilter.server.index;

import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * The small text file {@code brand.meta} beside a brand's maps: format version, brand code, the check value of the
 * key its keys were derived with ({@link IndexKey}), each map's sizing, the newest creationDate held, the feed
 * watermark, and whether the index was closed cleanly. Written atomically (temporary file, fsync, rename), so a crash
 * leaves either the old or the new content.
 */
final class BrandMeta
{
    static final String FILE_NAME = "brand.meta";
    /** Format 2: keys keyed with the key file (format 1 held plain phone numbers and seeded e-mail hashes). */
    static final int FORMAT = 2;

    long brandCode;
    String keyCheck;
    long phoneEntries;
    long emailEntries;
    long newestCreationMs;
    long watermarkMs;
    boolean open;

    static BrandMeta read(final Path dir) throws IOException
    {
        final Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(dir.resolve(FILE_NAME), StandardCharsets.UTF_8))
        {
            properties.load(reader);
        }
        final int format = Integer.parseInt(properties.getProperty("format", "0"));
        if (format == 1)
        {
            throw new IOException("index format 1 predates keyed index keys (format " + FORMAT + ", " +
                "docs/SECURITY.md) and cannot be read any more: remove the brand's directory and import it again, " +
                "dir=" + dir);
        }
        if (format != FORMAT)
        {
            throw new IOException("unsupported index format: format=" + format + ", expected=" + FORMAT +
                ", dir=" + dir);
        }
        final BrandMeta meta = new BrandMeta();
        meta.brandCode = Long.parseLong(properties.getProperty("brand"));
        meta.keyCheck = properties.getProperty("keyCheck", "");
        // phoneEntries and emailEntries since per-map sizing; an older brand has one entriesPerMap for both
        final String both = properties.getProperty("entriesPerMap");
        meta.phoneEntries = Long.parseLong(properties.getProperty("phoneEntries", both));
        meta.emailEntries = Long.parseLong(properties.getProperty("emailEntries", both));
        meta.newestCreationMs = Long.parseLong(properties.getProperty("newestCreationMs", "0"));
        meta.watermarkMs = Long.parseLong(properties.getProperty("watermarkMs", "0"));
        meta.open = "open".equals(properties.getProperty("state"));
        return meta;
    }

    void write(final Path dir) throws IOException
    {
        final Properties properties = new Properties();
        properties.setProperty("format", Integer.toString(FORMAT));
        properties.setProperty("brand", Long.toString(brandCode));
        properties.setProperty("keyCheck", keyCheck);
        properties.setProperty("phoneEntries", Long.toString(phoneEntries));
        properties.setProperty("emailEntries", Long.toString(emailEntries));
        // for a server from before per-map sizing (it only reads this key; the maps keep their own sizing)
        properties.setProperty("entriesPerMap", Long.toString(Math.max(phoneEntries, emailEntries)));
        properties.setProperty("newestCreationMs", Long.toString(newestCreationMs));
        properties.setProperty("watermarkMs", Long.toString(watermarkMs));
        properties.setProperty("state", open ? "open" : "closed");
        final StringWriter text = new StringWriter();
        properties.store(text, "iys-filter brand index metadata; do not edit while the server runs");
        DurableFiles.replace(dir, FILE_NAME, text.toString());
    }
}
