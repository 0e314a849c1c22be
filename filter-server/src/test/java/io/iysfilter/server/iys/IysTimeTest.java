package io.iysfilter.server.iys;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.LocalDateTime;
import java.time.ZoneOffset;

import static org.junit.jupiter.api.Assertions.assertEquals;

class IysTimeTest
{
    @Test
    void shouldReadTurkeyTimeAsUtcPlusThreeSince2016()
    {
        assertEquals(LocalDateTime.of(2020, 10, 29, 20, 58, 53).toEpochSecond(ZoneOffset.UTC),
            IysTime.parseSeconds("2020-10-29 23:58:53"));
        assertEquals(LocalDateTime.of(2026, 1, 1, 0, 0, 0).toEpochSecond(ZoneOffset.UTC),
            IysTime.parseSeconds("2026-01-01 03:00:00"));
    }

    @Test
    void shouldApplyDaylightSavingBeforeSeptember2016()
    {
        assertEquals(LocalDateTime.of(2015, 4, 30, 21, 0, 0).toEpochSecond(ZoneOffset.UTC),
            IysTime.parseSeconds("2015-05-01 00:00:00"), "HS_2015 consents: summer time, UTC+3");
        assertEquals(LocalDateTime.of(2015, 12, 31, 22, 0, 0).toEpochSecond(ZoneOffset.UTC),
            IysTime.parseSeconds("2016-01-01 00:00:00"), "winter 2015/16: UTC+2");
    }

    @Test
    void shouldRoundTripThroughFormat()
    {
        for (final String text : new String[]{"2015-05-01 00:00:00", "2020-02-29 12:34:56", "2026-11-23 13:00:00"})
        {
            assertEquals(text, IysTime.format(IysTime.parseSeconds(text)));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "2020-10-29", "2020-10-29T23:58:53", "2020-13-01 00:00:00", "2021-02-29 00:00:00",
        "2020-10-32 00:00:00", "2020-10-29 24:00:00", "2020-10-29 23:60:00", "2020-1O-29 23:58:53",
        "29-10-2020 23:58:53", "2020-10-29 23:58:53Z"})
    void shouldRefuseAnythingElse(final String text)
    {
        assertEquals(IysTime.INVALID, IysTime.parseSeconds(text), text);
    }
}
