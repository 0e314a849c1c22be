package io.iysfilter.server.net;

import org.junit.jupiter.api.Test;

import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;

import static org.junit.jupiter.api.Assertions.assertEquals;

class OptOutRequestsTest
{
    @Test
    void shouldGiveThreeBusinessDaysToUpload()
    {
        assertEquals(LocalDate.of(2026, 11, 26), OptOutRequests.uploadBy(utc(2026, 11, 23, 9)), "Monday → Thursday");
        assertEquals(LocalDate.of(2026, 12, 2), OptOutRequests.uploadBy(utc(2026, 11, 27, 9)), "Friday → Wednesday");
        assertEquals(LocalDate.of(2026, 12, 2), OptOutRequests.uploadBy(utc(2026, 11, 28, 9)), "Saturday → Wednesday");
        assertEquals(LocalDate.of(2026, 11, 27), OptOutRequests.uploadBy(utc(2026, 11, 23, 22)),
            "23:00 UTC Monday is Tuesday in Turkey → Friday");
    }

    private static long utc(final int year, final int month, final int day, final int hour)
    {
        return LocalDateTime.of(year, month, day, hour, 0).toEpochSecond(ZoneOffset.UTC);
    }
}
