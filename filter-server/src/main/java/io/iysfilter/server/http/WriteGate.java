package io.iysfilter.server.http;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Writes through a graceful stop: an endpoint's requests that change the index and must be answered once taken (an
 * opt-out, an İYS push; each kind passes a gate of its own). While the drain lets connections talk, such requests are
 * admitted, applied and acknowledged; once it is about to close them ({@link #refuse()}), each one read is refused
 * with 503 instead; and the connections are closed only when every admitted one has had its answer
 * ({@link #inFlight()} is 0), so a write the server read is either acknowledged or refused, never applied without an
 * answer.
 * <p>
 * {@link #admit()} counts itself in before it looks at the refusal and {@link #refuse()} is set before the closer
 * reads the count (both sequentially consistent), so either the closer sees the write in flight or the write sees
 * the refusal.
 */
final class WriteGate
{
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicLong admitted = new AtomicLong();
    private volatile boolean refusing;

    /**
     * @return true when the opt-out may go ahead; the caller then calls {@link #answered()} once its answer is
     * written (or cannot be). False once the server refuses opt-outs.
     */
    boolean admit()
    {
        inFlight.incrementAndGet();
        if (refusing)
        {
            inFlight.decrementAndGet();
            return false;
        }
        admitted.incrementAndGet();
        return true;
    }

    /**
     * An admitted opt-out has its answer.
     */
    void answered()
    {
        inFlight.decrementAndGet();
    }

    /**
     * Refuse every opt-out from now on.
     */
    void refuse()
    {
        refusing = true;
    }

    /**
     * @return admitted opt-outs not answered yet.
     */
    int inFlight()
    {
        return inFlight.get();
    }

    /**
     * @return opt-outs admitted since start.
     */
    long admitted()
    {
        return admitted.get();
    }
}
