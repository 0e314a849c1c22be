package io.iysfilter.server.replication;

import io.iysfilter.server.ingest.ChangeHandOff;
import io.iysfilter.server.ingest.ChangeTap;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A fetcher's tap across terms of office: an acknowledgement waits on the term its change was written in, and is
 * never answered by a later term's publisher, nor out of office.
 */
class TermTapTest
{
    @Test
    void shouldNeverAnswerAnAcknowledgementBegunInAnEarlierTermFromALaterOnesPublisher() throws Exception
    {
        final FetcherElection.TermTap tap = new FetcherElection.TermTap();
        tap.switchTo(new ChangeHandOff(16));
        final long first = tap.term();
        // the term ends (stepping down), and the fetcher is elected again: a new, empty hand-off whose own
        // published() completes at once
        tap.switchTo(ChangeTap.NONE);
        final ChangeHandOff second = new ChangeHandOff(16);
        tap.switchTo(second);
        assertTrue(second.published().isDone(), "the later term has nothing pending");

        assertNotPublished(tap.published(first));
        assertNull(tap.published(tap.term()).get(5, TimeUnit.SECONDS), "the current term answers for itself");
    }

    @Test
    void shouldFailAnAcknowledgementOutOfOffice()
    {
        final FetcherElection.TermTap tap = new FetcherElection.TermTap();
        assertNotPublished(tap.published());
        assertNotPublished(tap.published(tap.term()));
    }

    private static void assertNotPublished(final CompletableFuture<Void> published)
    {
        final ExecutionException ex = assertThrows(ExecutionException.class, () -> published.get(5, TimeUnit.SECONDS));
        assertInstanceOf(ChangeTap.NotPublishedException.class, ex.getCause());
    }
}
