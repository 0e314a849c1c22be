package io.iysfilter.server.logging;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class LogLimiterTest
{
    private static final long SECOND = 1_000_000_000L;

    @Test
    void shouldLetOneLineThroughPerIntervalAndCountTheRest()
    {
        final LogLimiter limiter = new LogLimiter(Duration.ofSeconds(10));
        final long start = -5 * SECOND;
        assertEquals(0, limiter.tryAcquire(start), "the first occurrence is logged");
        for (int i = 1; i <= 1000; i++)
        {
            assertEquals(-1, limiter.tryAcquire(start + i * 1_000_000L));
        }
        assertEquals(-1, limiter.tryAcquire(start + 10 * SECOND - 1));
        assertEquals(1001, limiter.tryAcquire(start + 10 * SECOND), "the next line says how many were suppressed");
        assertEquals(-1, limiter.tryAcquire(start + 11 * SECOND));
        assertEquals(1, limiter.tryAcquire(start + 60 * SECOND));
        assertEquals(0, limiter.tryAcquire(start + 120 * SECOND), "a quiet spell starts afresh");
    }

    @Test
    void shouldRefuseAnEmptyInterval()
    {
        assertThrows(IllegalArgumentException.class, () -> new LogLimiter(Duration.ZERO));
    }
}
