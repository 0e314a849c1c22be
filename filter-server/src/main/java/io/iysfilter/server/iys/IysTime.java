package io.iysfilter.server.iys;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;

/**
 * İYS timestamps: {@code YYYY-MM-DD HH:mm:ss} in Turkey time with no zone suffix. Turkey has kept UTC+03:00 all
 * year since 2016-09-07; earlier dates use the Europe/Istanbul rules (EET/EEST).
 */
public final class IysTime
{
    /** Turkey's zone. */
    public static final ZoneId TURKEY = ZoneId.of("Europe/Istanbul");
    /** Parse failure. */
    public static final long INVALID = Long.MIN_VALUE;

    private static final int LENGTH = 19;
    private static final long FIXED_OFFSET_SEC = 3 * 3600;
    private static final long FIXED_SINCE_LOCAL_SEC = 1_473_206_400L + FIXED_OFFSET_SEC; // 2016-09-07T00:00 UTC
    private static final DateTimeFormatter FORMAT = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

    private IysTime()
    {
    }

    /**
     * @param text an İYS timestamp.
     * @return seconds since the epoch, or {@link #INVALID}.
     */
    public static long parseSeconds(final CharSequence text)
    {
        if (text.length() != LENGTH || text.charAt(4) != '-' || text.charAt(7) != '-' || text.charAt(10) != ' ' ||
            text.charAt(13) != ':' || text.charAt(16) != ':')
        {
            return INVALID;
        }
        final int year = number(text, 0, 4);
        final int month = number(text, 5, 2);
        final int day = number(text, 8, 2);
        final int hour = number(text, 11, 2);
        final int minute = number(text, 14, 2);
        final int second = number(text, 17, 2);
        if (year < 1970 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) ||
            hour > 23 || minute > 59 || second > 59)
        {
            return INVALID;
        }
        final long localSec = daysFromCivil(year, month, day) * 86_400L + hour * 3600L + minute * 60L + second;
        if (localSec >= FIXED_SINCE_LOCAL_SEC)
        {
            return localSec - FIXED_OFFSET_SEC;
        }
        return LocalDateTime.of(year, month, day, hour, minute, second).atZone(TURKEY).toEpochSecond();
    }

    /**
     * @param epochSec seconds since the epoch.
     * @return the İYS form in Turkey time.
     */
    public static String format(final long epochSec)
    {
        return FORMAT.format(LocalDateTime.ofInstant(Instant.ofEpochSecond(epochSec), TURKEY));
    }

    private static int number(final CharSequence text, final int offset, final int length)
    {
        int value = 0;
        for (int i = offset; i < offset + length; i++)
        {
            final char c = text.charAt(i);
            if (c < '0' || c > '9')
            {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value;
    }

    private static int daysInMonth(final int year, final int month)
    {
        if (month == 2)
        {
            final boolean leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
            return leap ? 29 : 28;
        }
        return month == 4 || month == 6 || month == 9 || month == 11 ? 30 : 31;
    }

    /**
     * Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
     */
    private static long daysFromCivil(final int year, final int month, final int day)
    {
        final int y = month <= 2 ? year - 1 : year;
        final int era = y / 400;
        final int yearOfEra = y - era * 400;
        final int dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
        final int dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear;
        return era * 146_097L + dayOfEra - 719_468L;
    }
}
