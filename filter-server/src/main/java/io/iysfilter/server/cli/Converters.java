package io.iysfilter.server.cli;

import io.iysfilter.protocol.codecs.Channel;
import io.iysfilter.protocol.codecs.MessageKind;
import io.iysfilter.protocol.codecs.RecipientType;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * The typed options the server's commands share: picocli reports a bad value as {@code Invalid value for option
 * '--NAME': VALUE (expected: ...)} and the command exits 2.
 */
final class Converters
{
    private Converters()
    {
    }

    static long number(final String text, final long min, final long max)
    {
        try
        {
            final long value = Long.parseLong(text.trim());
            if (value >= min && value <= max)
            {
                return value;
            }
        }
        catch (final NumberFormatException ex)
        {
            // reported below
        }
        throw new TypeConversionException("'" + text + "' (expected: a whole number, " + min + ".." + max + ")");
    }

    @SafeVarargs
    static <E extends Enum<E>> E oneOf(final String text, final E... allowed)
    {
        final StringBuilder names = new StringBuilder();
        for (final E candidate : allowed)
        {
            if (candidate.name().equals(text))
            {
                return candidate;
            }
            names.append(names.length() == 0 ? "" : ", ").append(candidate.name());
        }
        throw new TypeConversionException("'" + text + "' (expected: " + names + ")");
    }

    /**
     * A value that must not be empty or blank, e.g. a recipient or a file name: an empty path would silently mean the
     * current directory.
     */
    static final class NonBlank implements ITypeConverter<String>
    {
        @Override
        public String convert(final String text)
        {
            if (text.isBlank())
            {
                throw new TypeConversionException("'" + text + "' (expected: a value that is not blank)");
            }
            return text;
        }
    }

    /**
     * A path that must not be empty or blank.
     */
    static final class NonBlankPath implements ITypeConverter<java.nio.file.Path>
    {
        @Override
        public java.nio.file.Path convert(final String text)
        {
            return java.nio.file.Path.of(new NonBlank().convert(text));
        }
    }

    /**
     * A brand's or a service provider's İYS code, 1..2^32-1.
     */
    static final class Code implements ITypeConverter<Long>
    {
        @Override
        public Long convert(final String text)
        {
            return number(text, 1, 0xFFFF_FFFFL);
        }
    }

    /**
     * The port of a server to talk to, 1..65535.
     */
    static final class Port implements ITypeConverter<Integer>
    {
        @Override
        public Integer convert(final String text)
        {
            return (int)number(text, 1, 65535);
        }
    }

    /**
     * ARAMA, MESAJ or EPOSTA.
     */
    static final class ChannelName implements ITypeConverter<Channel>
    {
        @Override
        public Channel convert(final String text)
        {
            return oneOf(text, Channel.ARAMA, Channel.MESAJ, Channel.EPOSTA);
        }
    }

    /**
     * COMMERCIAL or TRANSACTIONAL.
     */
    static final class KindName implements ITypeConverter<MessageKind>
    {
        @Override
        public MessageKind convert(final String text)
        {
            return oneOf(text, MessageKind.COMMERCIAL, MessageKind.TRANSACTIONAL);
        }
    }

    /**
     * BIREYSEL or TACIR.
     */
    static final class RecipientTypeName implements ITypeConverter<RecipientType>
    {
        @Override
        public RecipientType convert(final String text)
        {
            return oneOf(text, RecipientType.BIREYSEL, RecipientType.TACIR);
        }
    }
}
