package io.iysfilter.server.optout;

import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.RecipientType;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OptOutTest
{
    @Test
    void shouldGiveThreeBusinessDaysToUpload()
    {
        assertEquals(LocalDate.of(2026, 11, 26), OptOut.uploadBy(utc(2026, 11, 23, 9)), "Monday → Thursday");
        assertEquals(LocalDate.of(2026, 12, 2), OptOut.uploadBy(utc(2026, 11, 27, 9)), "Friday → Wednesday");
        assertEquals(LocalDate.of(2026, 12, 2), OptOut.uploadBy(utc(2026, 11, 28, 9)), "Saturday → Wednesday");
        assertEquals(LocalDate.of(2026, 11, 27), OptOut.uploadBy(utc(2026, 11, 23, 22)),
            "23:00 UTC Monday is Tuesday in Turkey → Friday");
    }

    @Test
    void shouldReadBackWhatItWritesAndTheRecordsOfTheFormatBeforeChecksums() throws IOException
    {
        final OptOut optOut = new OptOut(1_764_000_000_123L, 1_764_000_000_456L, 600_001, Channel.EPOSTA,
            "a\"b@example.com", RecipientType.TACIR, "SMS_STOP");
        assertEquals(optOut, OptOut.parse(optOut.toJson()), optOut.toJson());
        assertTrue(optOut.toJson("APPLIED").contains("\"outcome\":\"APPLIED\""));

        final String old = "{\"recordedAt\":\"2026-11-30T07:00:00.123Z\",\"time\":\"2026-11-30T06:59:00Z\"," +
            "\"brand\":600001,\"channel\":\"MESAJ\",\"recipient\":\"+905321111111\",\"recipientType\":\"BIREYSEL\"," +
            "\"source\":\"SMS_STOP\",\"outcome\":\"APPLIED\",\"uploadBy\":\"2026-12-03\"}";
        final OptOut parsed = OptOut.parse(old);
        assertEquals(Channel.MESAJ, parsed.channel());
        assertEquals("+905321111111", parsed.recipient());
        assertEquals(java.time.Instant.parse("2026-11-30T06:59:00Z").toEpochMilli(), parsed.timeMs());

        assertThrows(IOException.class, () -> OptOut.parse("{\"recordedAt\":\"2026-11-30T07:00:00Z\",\"time\":"));
        assertThrows(IOException.class, () -> OptOut.parse("{\"brand\":600001,\"channel\":\"FAX\"}"));
    }

    private static long utc(final int year, final int month, final int day, final int hour)
    {
        return LocalDateTime.of(year, month, day, hour, 0).toEpochSecond(ZoneOffset.UTC);
    }
}
