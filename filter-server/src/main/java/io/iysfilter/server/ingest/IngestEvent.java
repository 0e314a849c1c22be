package io.iysfilter.server.ingest;

import io.iysfilter.server.index.ConsentChange;

import java.util.concurrent.CompletableFuture;

/**
 * A pre-allocated slot in the ingest ring. Publishers copy into it; the writer reads it.
 */
final class IngestEvent
{
    /** A slot already handled (cleared): nothing to do. */
    static final int NONE = 0;
    static final int CHANGE = 1;
    static final int CREATE_BRAND = 2;
    static final int BARRIER = 3;
    static final int WATERMARK = 4;
    static final int WRITE_AHEAD = 5;
    static final int TASK = 6;

    final ConsentChange change = new ConsentChange();
    int type;
    long tag;
    long brandCode;
    long watermarkMs;
    IngestListener listener;
    CompletableFuture<Void> completion;
    CompletableFuture<Integer> outcome;
    CompletableFuture<Object> result;
    WriteAheadLog log;
    String line;
    WriterTask<?> task;

    void clear()
    {
        type = NONE;
        listener = null;
        completion = null;
        outcome = null;
        result = null;
        log = null;
        line = null;
        task = null;
    }
}
