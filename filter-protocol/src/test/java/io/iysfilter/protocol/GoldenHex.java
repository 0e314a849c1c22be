package io.iysfilter.protocol;

import java.io.ByteArrayOutputStream;

/**
 * The golden-vector text format: hex byte pairs separated by white space; lines starting with # are comments.
 */
final class GoldenHex
{
    private GoldenHex()
    {
    }

    static byte[] parse(final String text)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (final String line : text.split("\n"))
        {
            if (line.startsWith("#"))
            {
                continue;
            }
            for (final String pair : line.trim().split("\\s+"))
            {
                if (!pair.isEmpty())
                {
                    out.write(Integer.parseInt(pair, 16));
                }
            }
        }
        return out.toByteArray();
    }

    static String format(final byte[] bytes)
    {
        final StringBuilder text = new StringBuilder();
        for (int i = 0; i < bytes.length; i++)
        {
            text.append(i == 0 ? "" : i % 16 == 0 ? "\n" : " ").append(String.format("%02x", bytes[i] & 0xFF));
        }
        return text.toString();
    }
}
