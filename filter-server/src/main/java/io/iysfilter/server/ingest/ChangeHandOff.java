package io.iysfilter.server.ingest;

import io.iysfilter.server.index.ConsentChange;
import io.iysfilter.server.index.DealerList;

import java.util.Iterator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The bounded hand-off from the single writer (the one producer, through {@link ChangeTap}) to one consumer, the
 * fetcher's publisher: a ring of preallocated slots, nothing allocated per change.
 * <p>
 * A slot is released only when the consumer says its record is safe ({@link #release}: committed to the topic), not
 * when it is read; a consumer whose transaction failed reads the unreleased slots again ({@link #rewind}). So
 * nothing the writer handed over is lost to a failed transaction.
 * <p>
 * When the ring is full the writer waits, and each wait is counted ({@link #waits()}). It does not drop: a change
 * the topic never gets would be missing on every replica forever (the feed's cursor would be published past it).
 * It does not wait forever either: the wait ends when the consumer releases slots or stops ({@link #close}, e.g. a
 * fenced fetcher, or a server closing: {@link #stopWaiting}); from then on changes are discarded and counted
 * ({@link #discarded()}), since nothing will publish them any more; the first discard is sticky (nothing after it is
 * handed over, see {@link #discarding()}), and the next fetcher re-fetches from the cursor the topic holds. A full
 * ring therefore means the topic is behind, and holding the writer back is right: the feed cannot move its cursor
 * past what the topic has not committed anyway.
 * <p>
 * Positions are sequence numbers: the writer's {@link #handedOver()} counts every record handed over, and
 * {@link #committed()} (what {@link #release} was last told) every record committed. A caller that must not answer
 * before its change is on the topic (an opt-out, a reconcile) takes a ticket once its change is applied
 * ({@link #published()}: the write position then) and is answered when the committed position reaches it, or told
 * it may never when the consumer stops first. Tickets cost the writer nothing: it only counts.
 */
public final class ChangeHandOff implements ChangeTap
{
    /** A consent change in a slot. */
    public static final int CONSENT = 1;
    /** A watermark in a slot. */
    public static final int WATERMARK = 2;
    private static final long WAIT_PARK_NS = 50_000;

    private final int mask;
    private final int[] kinds;
    private final long[] brands;
    private final int[] keyKinds;
    private final long[] key0s;
    private final long[] key1s;
    private final long[] word0s;
    private final long[] word1s;
    /** Each slot's dealer list: a count, the list's read time, and an array made the first time the slot holds one. */
    private final int[] dealerCounts;
    private final long[] accessFetchedMs;
    private final int[][] dealerCodes;
    /** Next slot the writer fills; written by the writer only. */
    private final AtomicLong head = new AtomicLong();
    /** First slot not yet released; written by the consumer only. */
    private final AtomicLong released = new AtomicLong();
    private final AtomicLong waits = new AtomicLong();
    private final AtomicLong discarded = new AtomicLong();
    /** Callers waiting for their changes' commit ({@link #published()}); settled by whoever moves or stops it. */
    private final ConcurrentLinkedQueue<Ticket> tickets = new ConcurrentLinkedQueue<>();
    private volatile boolean closed;
    private volatile boolean noWaiting;
    private volatile boolean discarding;
    /** Next slot the consumer reads; the consumer's own, as the two below. */
    private long read;
    private long watermarkBrand;
    private long watermarkMs;

    /**
     * @param capacity slots, a power of two.
     */
    public ChangeHandOff(final int capacity)
    {
        if (capacity < 2 || Integer.bitCount(capacity) != 1)
        {
            throw new IllegalArgumentException("capacity must be a power of two >= 2: " + capacity);
        }
        mask = capacity - 1;
        kinds = new int[capacity];
        brands = new long[capacity];
        keyKinds = new int[capacity];
        key0s = new long[capacity];
        key1s = new long[capacity];
        word0s = new long[capacity];
        word1s = new long[capacity];
        dealerCounts = new int[capacity];
        accessFetchedMs = new long[capacity];
        dealerCodes = new int[capacity][];
    }

    @Override
    public void onChange(final ConsentChange change)
    {
        final int slot = claim();
        if (slot >= 0)
        {
            kinds[slot] = CONSENT;
            brands[slot] = change.brandCode();
            keyKinds[slot] = change.keyKind();
            key0s[slot] = change.key0();
            key1s[slot] = change.key1();
            word0s[slot] = change.word0();
            word1s[slot] = change.word1();
            dealers(slot, change);
            head.lazySet(head.get() + 1);
        }
    }

    @Override
    public void onWatermark(final long brandCode, final long watermarkMs)
    {
        final int slot = claim();
        if (slot >= 0)
        {
            kinds[slot] = WATERMARK;
            brands[slot] = brandCode;
            word0s[slot] = watermarkMs;
            head.lazySet(head.get() + 1);
        }
    }

    /**
     * The change's dealer list into its slot. A slot's array is made the first time it holds a list and reused, so a
     * stream of changes without lists costs nothing, and one with lists allocates at most once per slot.
     */
    private void dealers(final int slot, final ConsentChange change)
    {
        final int count = change.dealerCount();
        dealerCounts[slot] = count;
        accessFetchedMs[slot] = change.accessFetchedMs();
        if (count > 0)
        {
            if (dealerCodes[slot] == null)
            {
                dealerCodes[slot] = new int[DealerList.MAX_DEALERS];
            }
            System.arraycopy(change.dealerCodes(), 0, dealerCodes[slot], 0, count);
        }
    }

    /**
     * @return the slot to fill, or -1 when the consumer stopped (the record is discarded and counted).
     */
    private int claim()
    {
        final long position = head.get();
        if (position - released.get() > mask)
        {
            waits.getAndIncrement();
            while (position - released.get() > mask && !closed && !noWaiting)
            {
                LockSupport.parkNanos(WAIT_PARK_NS);
            }
        }
        if (closed || discarding || position - released.get() > mask)
        {
            // sticky: once one record is discarded, none after it is handed over, so the topic never gets a
            // watermark or a record ordered after a change it lacks (a RET discarded, then the brand's as-of moved
            // past it on every replica)
            discarding = true;
            discarded.getAndIncrement();
            return -1;
        }
        return (int)(position & mask);
    }

    /**
     * Consumer: the next record handed over and not yet read, into {@code change} for a consent.
     *
     * @param change filled with a consent's brand, key, value ({@link ConsentChange#setKeyed}) and dealer list.
     * @return {@link #CONSENT}, {@link #WATERMARK} (then {@link #watermarkBrand()}, {@link #watermarkMs()}), or 0
     * when nothing is waiting.
     */
    public int poll(final ConsentChange change)
    {
        if (read == head.get())
        {
            return 0;
        }
        final int slot = (int)(read & mask);
        final int kind = kinds[slot];
        if (kind == CONSENT)
        {
            change.setKeyed(brands[slot], keyKinds[slot], key0s[slot], key1s[slot], word0s[slot], word1s[slot]);
            if (accessFetchedMs[slot] > 0)
            {
                change.dealerAccess(dealerCodes[slot], dealerCounts[slot], accessFetchedMs[slot]);
            }
            else if (dealerCounts[slot] > 0)
            {
                change.dealers(dealerCodes[slot], dealerCounts[slot]);
            }
        }
        else
        {
            watermarkBrand = brands[slot];
            watermarkMs = word0s[slot];
        }
        read++;
        return kind;
    }

    /**
     * @return the brand of the watermark {@link #poll} last read.
     */
    public long watermarkBrand()
    {
        return watermarkBrand;
    }

    /**
     * @return the watermark {@link #poll} last read, epoch ms.
     */
    public long watermarkMs()
    {
        return watermarkMs;
    }

    /**
     * Consumer: the position after the last record read, to {@link #release} once they are safe.
     *
     * @return the read position.
     */
    public long readPosition()
    {
        return read;
    }

    /**
     * Consumer: the position the writer has handed over up to; whatever is before it was applied before this call.
     *
     * @return the write position.
     */
    public long handedOver()
    {
        return head.get();
    }

    /**
     * Consumer: the records before {@code position} are safe (committed): their slots may take new ones.
     *
     * @param position a read position.
     */
    public void release(final long position)
    {
        // a volatile write, read by a caller that queued its ticket before reading it (and the other way round):
        // one of the two sees the other, so no ticket is left waiting on a position already reached
        released.set(position);
        if (!tickets.isEmpty())
        {
            settleTickets();
        }
    }

    /**
     * @return the position every record before which is committed: what {@link #release} was last told.
     */
    public long committed()
    {
        return released.get();
    }

    /**
     * A ticket for every record handed over so far: call after the change to wait for was handed over (its write
     * completed). Allocates one future per call; the writer's path is untouched.
     *
     * @return completes once the consumer has committed every record handed over before this call; exceptionally
     * with a {@link NotPublishedException} when a record was discarded already (it may have been one of them), or
     * when the consumer stops before. Bound the wait with {@link CompletableFuture#orTimeout}.
     */
    @Override
    public CompletableFuture<Void> published()
    {
        final Ticket ticket = new Ticket(head.get());
        if (discarding)
        {
            ticket.completeExceptionally(new NotPublishedException(discarded.get() + " changes were discarded: the " +
                "publisher stopped or the server is closing"));
            return ticket;
        }
        if (released.get() >= ticket.position)
        {
            ticket.complete(null);
            return ticket;
        }
        tickets.add(ticket);
        // a ticket that times out leaves the queue at once, so a topic down for long does not pile them up
        ticket.whenComplete((ignored, error) -> tickets.remove(ticket));
        settleTickets();
        return ticket;
    }

    /**
     * Complete every ticket the committed position has reached; fail every one when the consumer stopped. Safe from
     * any thread: completing a future twice is harmless.
     */
    private void settleTickets()
    {
        final long committed = released.get();
        final boolean stopped = closed;
        for (final Iterator<Ticket> it = tickets.iterator(); it.hasNext(); )
        {
            final Ticket ticket = it.next();
            if (committed >= ticket.position)
            {
                ticket.complete(null);
                it.remove();
            }
            else if (stopped)
            {
                ticket.completeExceptionally(new NotPublishedException("the publisher stopped before it committed " +
                    "the change"));
                it.remove();
            }
        }
    }

    /**
     * A caller's wait for the records before {@link #position} to be committed.
     */
    private static final class Ticket extends CompletableFuture<Void>
    {
        private final long position;

        Ticket(final long position)
        {
            this.position = position;
        }
    }

    /**
     * Consumer: read again from the first record not released (its transaction failed).
     */
    public void rewind()
    {
        read = released.get();
    }

    /**
     * The consumer stopped for good: a waiting writer goes on, every record from now is discarded (counted), and
     * every ticket not yet reached fails ({@link #published()}).
     */
    public void close()
    {
        closed = true;
        settleTickets();
    }

    /**
     * The server is closing: a writer waiting on a full ring goes on, and from now on a record that finds the ring
     * full is discarded (counted) instead of waited for, and so is every record after it; records that find room
     * before the first discard are still handed over, for the consumer's last commit. Called before the writer is
     * joined, so a consumer that cannot commit (Kafka down) cannot hold the close.
     */
    public void stopWaiting()
    {
        noWaiting = true;
    }

    /**
     * @return whether a record was discarded: from then on nothing more is handed over, and the consumer must publish
     * no cursor (a cursor would say the topic holds every change before it).
     */
    public boolean discarding()
    {
        return discarding;
    }

    /**
     * @return whether the consumer stopped.
     */
    public boolean closed()
    {
        return closed;
    }

    /**
     * @return times the writer found the ring full and waited.
     */
    public long waits()
    {
        return waits.get();
    }

    /**
     * @return records discarded after the consumer stopped.
     */
    public long discarded()
    {
        return discarded.get();
    }

    /**
     * @return records handed over and not yet released.
     */
    public long pending()
    {
        return head.get() - released.get();
    }
}
