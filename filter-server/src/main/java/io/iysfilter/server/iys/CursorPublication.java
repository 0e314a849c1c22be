package io.iysfilter.server.iys;

import java.io.IOException;

/**
 * Where a fetcher's feed publishes a source's cursor before it persists it (docs/REPLICATION.md §2): in the same
 * Kafka transaction as every change applied before it, so that whoever resumes from the topic resumes from exactly
 * where the topic's changes end. A standalone server has {@link #NONE}.
 */
@FunctionalInterface
public interface CursorPublication
{
    /**
     * Publishes nothing: a standalone server persists its cursors alone.
     */
    CursorPublication NONE = (brandCode, source, cursor, acceptedMs) ->
    {
    };

    /**
     * Publish a cursor and return only once it is committed together with every change the writer applied before
     * this call; the feed persists it locally only then.
     *
     * @param brandCode  İYS brand code.
     * @param source     {@code HS} or {@code IYS}.
     * @param cursor     the source's cursor (İYS's {@code after}).
     * @param acceptedMs when İYS last answered the source's end from it, or 0.
     * @throws PublicationStoppedException when this fetcher may publish no more (fenced by another): the feed stops.
     * @throws IOException                 when the commit failed or timed out: the cursor is not persisted and the
     *                                     feed backs off and retries, as for an İYS error.
     * @throws InterruptedException        when interrupted.
     */
    void publish(long brandCode, String source, String cursor, long acceptedMs)
        throws IOException, InterruptedException;

    /**
     * Where a source of a brand resumes, when whoever publishes knows better than the local cursor file: a fetcher
     * that has just been elected resumes from the cursors the topic holds (docs/REPLICATION.md §4), since the topic is
     * what the replicas have. Asked once per source when a feed starts.
     *
     * @param brandCode İYS brand code.
     * @param source    {@code HS} or {@code IYS}.
     * @return the position to resume from (its cursor null: from the start of İYS's window), or null to resume from
     * the local cursor file.
     */
    default Resume resume(final long brandCode, final String source)
    {
        return null;
    }

    /**
     * A source's position to resume from.
     *
     * @param cursor     the cursor (İYS's {@code after}), or null for the start of İYS's window.
     * @param acceptedMs when İYS last answered the source's end from it, or 0 when not known.
     */
    record Resume(String cursor, long acceptedMs)
    {
    }

    /**
     * This fetcher may publish no more in this term of office: another fetcher with the same transactional id took
     * over (Kafka fenced this one), or its publisher stopped. Its feed stops following İYS; the fetcher stands by
     * until it is elected again.
     */
    final class PublicationStoppedException extends IOException
    {
        private static final long serialVersionUID = 1L;

        /**
         * @param message why, for the operator.
         * @param cause   Kafka's exception.
         */
        public PublicationStoppedException(final String message, final Throwable cause)
        {
            super(message, cause);
        }
    }
}
