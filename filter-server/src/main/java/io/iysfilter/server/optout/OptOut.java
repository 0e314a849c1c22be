package io.iysfilter.server.optout;

import io.iysfilter.server.iys.FlatJson;
import io.iysfilter.server.iys.IysTime;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.ConsentStatus;
import io.iysfilter.server.decision.ParsedRecipient;
import io.iysfilter.server.decision.RecipientParser;
import io.iysfilter.server.decision.RecipientType;
import io.iysfilter.server.index.ConsentChange;
import io.iysfilter.server.index.ConsentValueDescriptor;
import io.iysfilter.server.iys.IysSource;
import io.iysfilter.server.iys.TransactionIds;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.Map;

/**
 * A local opt-out: a RET the provider received outside İYS. It is one record of the brand's opt-out log (a JSON
 * object) and, through {@link #toChange}, one change of the index: a RET marked local at {@link #timeMs()}, whose
 * transaction id is derived from the recipient and the time, so that applying it again (the replay at start) finds
 * it already there.
 *
 * @param recordedAtMs  when the server received it, epoch ms.
 * @param timeMs        when the recipient opted out, epoch ms.
 * @param brandCode     İYS brand code.
 * @param channel       ARAMA, MESAJ or EPOSTA.
 * @param recipient     the normalised recipient: {@code +90…} or a lower-case e-mail address.
 * @param recipientType BIREYSEL or TACIR.
 * @param source        where it came from, e.g. SMS_STOP.
 */
public record OptOut(
    long recordedAtMs,
    long timeMs,
    long brandCode,
    Channel channel,
    String recipient,
    RecipientType recipientType,
    String source)
{
    private static final JsonFactory JSON = new JsonFactory();
    private static final int UPLOAD_BUSINESS_DAYS = 3;

    /**
     * Fill a change with this opt-out: a RET marked local.
     *
     * @param change  filled.
     * @param parser  parses the recipient.
     * @param scratch holds the parsed recipient.
     * @return the change.
     * @throws IllegalArgumentException when the recipient does not parse or does not fit the channel.
     */
    public ConsentChange toChange(final ConsentChange change, final RecipientParser parser,
        final ParsedRecipient scratch)
    {
        if (parser.parse(recipient, scratch) == ParsedRecipient.INVALID || !scratch.fits(channel))
        {
            throw new IllegalArgumentException("opt-out recipient: '" + recipient + "' (expected: a phone for " +
                "ARAMA or MESAJ, an e-mail for EPOSTA)");
        }
        final long timeSec = timeMs / 1000;
        return change.set(brandCode, channel, recipientType, scratch, ConsentStatus.RET, timeSec, timeSec,
            IysSource.LOCAL, TransactionIds.digest("local:" + recipient + ":" + timeMs),
            ConsentValueDescriptor.FLAG_LOCAL);
    }

    /**
     * @return the log record: {@code recordedAt, time, brand, channel, recipient, recipientType, source, uploadBy}.
     */
    String toJson()
    {
        return toJson(null);
    }

    /**
     * @param outcome an {@code "outcome"} field to add (the answer to the POST), or null for none.
     * @return this opt-out as one JSON object, no line break.
     */
    public String toJson(final String outcome)
    {
        final StringWriter text = new StringWriter(256);
        try (JsonGenerator json = JSON.createGenerator(text))
        {
            json.writeStartObject();
            json.writeStringField("recordedAt", Instant.ofEpochMilli(recordedAtMs).toString());
            json.writeStringField("time", Instant.ofEpochMilli(timeMs).toString());
            json.writeNumberField("brand", brandCode);
            json.writeStringField("channel", channel.name());
            json.writeStringField("recipient", recipient);
            json.writeStringField("recipientType", recipientType.name());
            json.writeStringField("source", source);
            if (outcome != null)
            {
                json.writeStringField("outcome", outcome);
            }
            json.writeStringField("uploadBy", uploadBy(timeMs / 1000).toString());
            json.writeEndObject();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        return text.toString();
    }

    /**
     * Read a log record (this format, or the one before checksums, which also had {@code outcome}).
     *
     * @param json one JSON object.
     * @return the opt-out.
     * @throws IOException when it is not a JSON object holding a valid opt-out.
     */
    static OptOut parse(final String json) throws IOException
    {
        final Map<String, String> fields;
        try (JsonParser parser = JSON.createParser(json))
        {
            if (parser.nextToken() != JsonToken.START_OBJECT)
            {
                throw new IOException("opt-out record is not a JSON object");
            }
            fields = FlatJson.read(parser);
        }
        final Channel channel = fields.get("channel") == null ? null : Channel.fromName(fields.get("channel"));
        final RecipientType type = fields.get("recipientType") == null ? null :
            RecipientType.fromName(fields.get("recipientType"));
        final String recipient = fields.get("recipient");
        if (channel == null || type == null || type == RecipientType.UNSPECIFIED || recipient == null)
        {
            throw new IOException("opt-out record lacks a valid channel, recipientType or recipient: " + json);
        }
        try
        {
            final long brandCode = Long.parseLong(String.valueOf(fields.get("brand")));
            return new OptOut(Instant.parse(String.valueOf(fields.get("recordedAt"))).toEpochMilli(),
                Instant.parse(String.valueOf(fields.get("time"))).toEpochMilli(), brandCode, channel, recipient, type,
                fields.getOrDefault("source", "LOCAL"));
        }
        catch (final NumberFormatException | DateTimeParseException ex)
        {
            throw new IOException("opt-out record has an invalid brand, recordedAt or time: " + json, ex);
        }
    }

    /**
     * @param timeSec when the recipient opted out, epoch seconds.
     * @return the day by which an opt-out must be in İYS: three business days (Monday to Friday) after it, in Turkey.
     */
    static LocalDate uploadBy(final long timeSec)
    {
        LocalDate day = LocalDate.ofInstant(Instant.ofEpochSecond(timeSec), IysTime.TURKEY);
        int left = UPLOAD_BUSINESS_DAYS;
        while (left > 0)
        {
            day = day.plusDays(1);
            if (day.getDayOfWeek() != DayOfWeek.SATURDAY && day.getDayOfWeek() != DayOfWeek.SUNDAY)
            {
                left--;
            }
        }
        return day;
    }
}
