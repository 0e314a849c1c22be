package io.iysfilter.server.replication;

import io.iysfilter.server.TestKeys;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.ingest.IngestPipeline;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The replica process {@link ReplicaKillIT} kills: a store, the single writer and a follower of the topic, persisting
 * its offsets every 20 ms, until killed (bounded: after two minutes it exits without closing anything).
 */
final class ReplicaKillChild
{
    private ReplicaKillChild()
    {
    }

    /**
     * @param args the data directory, the bootstrap servers, the topic.
     * @throws Exception when the store cannot be opened.
     */
    public static void main(final String[] args) throws Exception
    {
        final ConsentStore store = ConsentStore.open(Path.of(args[0]), TestKeys.options(ReplicaKillIT.ENTRIES));
        final IngestPipeline pipeline = new IngestPipeline(store.writer(), IngestPipeline.DEFAULT_RING_SIZE);
        new ReplicaFollower(ReplicaSettings.of(args[1], Map.of(), args[2]).withPersist(20, 5_000), store, pipeline,
            System::currentTimeMillis).start();
        System.out.println("started");
        Thread.sleep(TimeUnit.MINUTES.toMillis(2));
        Runtime.getRuntime().halt(3);
    }
}
