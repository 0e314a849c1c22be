package io.iysfilter.server.http;

import io.iysfilter.server.TestKeys;
import io.iysfilter.server.Fixtures;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.ingest.IngestPipeline;
import io.iysfilter.server.iys.ReconcileService;
import io.iysfilter.server.metrics.ServerCounters;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The reconcile edge maps what {@link ReconcileService} answers to HTTP statuses and JSON.
 */
@Timeout(60)
class ReconcileHttpHandlerTest
{
    private static final long MAX_BODY_BYTES = 1024 * 1024;

    @TempDir
    Path dataDir;

    @Test
    void shouldMapEachAnswerToItsStatusAndBody() throws Exception
    {
        Fixtures.write(dataDir);
        try (ConsentStore store = ConsentStore.open(dataDir, TestKeys.options(10_000));
            IngestPipeline pipeline = new IngestPipeline(store.writer(), 64))
        {
            final ReconcileService service = new ReconcileService(store, pipeline, null);
            assertEquals("405 {\"error\":\"method_not_allowed\",\"message\":\"reconcile takes POST: method=GET\"}",
                exchange(service, HttpMethod.GET, "/v1/reconcile?brand=600001&date=2020-10-29", ""));
            assertEquals("404 {\"error\":\"unknown_brand\",\"message\":\"no index for brand 123\"}",
                exchange(service, HttpMethod.POST, "/v1/reconcile?brand=123&date=2020-10-29", "x"));
            assertTrue(exchange(service, HttpMethod.POST, "/v1/reconcile?brand=600001&date=2020-10-29", "")
                .startsWith("400 {\"error\":\"bad_request\",\"message\":\"body: empty and this server follows no"));
            assertTrue(exchange(service, HttpMethod.POST, "/v1/reconcile?brand=600001&date=2020-10-29", "a,b\n")
                .startsWith("502 {\"error\":\"reconcile_failed\""));
            assertEquals("200 {\"brand\":600001,\"date\":\"2020-10-29\",\"source\":\"body\",\"lines\":1," +
                "\"missing\":1,\"older\":0,\"conflicting\":0,\"matched\":0,\"rejected\":0,\"examples\":[\"line 2: " +
                "missing MESAJ +905321234567\"]}",
                exchange(service, HttpMethod.POST, "/v1/reconcile?brand=600001&date=2020-10-29",
                "creationDate,transactionId,recipient,recipientType,type,status,consentDate,source\n" +
                "2020-10-29 23:59:00," + "f26ab9" + "0".repeat(58) + ",05321234567,BIREYSEL,MESAJ,RET," +
                "2020-10-29 23:00:00,HS_MESAJ\n"));
        }
    }

    @Test
    void shouldSpoolTheUploadToAnOwnerOnlyTemporaryFileAndDeleteIt() throws Exception
    {
        Fixtures.write(dataDir);
        try (ConsentStore store = ConsentStore.open(dataDir, TestKeys.options(10_000));
            IngestPipeline pipeline = new IngestPipeline(store.writer(), 64))
        {
            final ReconcileService service = new ReconcileService(store, pipeline, null);
            final Set<Path> before = spools();
            final EmbeddedChannel channel = new EmbeddedChannel(new ReconcileHttpHandler(service, Runnable::run,
                MAX_BODY_BYTES, new ServerCounters()));
            try
            {
                channel.writeInbound(new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST,
                    "/v1/reconcile?brand=600001&date=2020-10-29"));
                channel.writeInbound(new DefaultHttpContent(Unpooled.copiedBuffer(
                    "creationDate,transactionId,recipient,recipientType,type,status,consentDate,source\n" +
                    "2020-10-29 23:59:00," + "0".repeat(64) + ",05321234567,BIREYSEL,MESAJ,RET,,\n",
                    StandardCharsets.UTF_8)));
                final Set<Path> during = spools();
                during.removeAll(before);
                assertEquals(1, during.size(), "the upload is spooled while it arrives: " + during);
                final Path spool = during.iterator().next();
                assertFalse(spool.startsWith(dataDir), "outside the data directory");
                assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(spool)));

                channel.writeInbound(LastHttpContent.EMPTY_LAST_CONTENT);
                channel.runPendingTasks();
                final FullHttpResponse response = channel.readOutbound();
                assertEquals(200, response.status().code(), response.content().toString(StandardCharsets.UTF_8));
                response.release();
                assertFalse(Files.exists(spool), "deleted once read");
            }
            finally
            {
                channel.finishAndReleaseAll();
            }
        }
    }

    private static Set<Path> spools() throws java.io.IOException
    {
        try (Stream<Path> files = Files.list(Path.of(System.getProperty("java.io.tmpdir"))))
        {
            return files.filter(p -> p.getFileName().toString().startsWith("iys-reconcile"))
                .collect(Collectors.toCollection(HashSet::new));
        }
    }

    @Test
    void shouldRefuseAnOverlongLineAndAnOversizedBodyWith413() throws Exception
    {
        Fixtures.write(dataDir);
        try (ConsentStore store = ConsentStore.open(dataDir, TestKeys.options(10_000));
            IngestPipeline pipeline = new IngestPipeline(store.writer(), 64))
        {
            final ReconcileService service = new ReconcileService(store, pipeline, null);
            final String line = exchange(service, HttpMethod.POST, "/v1/reconcile?brand=600001&date=2020-10-29",
                "a,b\n" + "x".repeat(ReconcileHttpHandler.MAX_LINE_LENGTH + 1));
            assertTrue(line.startsWith("413 {\"error\":\"line_too_long\",\"message\":\"body: line 2 is longer " +
                "than 65536 bytes"), line);
            final String body = exchange(service, HttpMethod.POST, "/v1/reconcile?brand=600001&date=2020-10-29",
                "0123456789abcde\n".repeat((int)(MAX_BODY_BYTES / 16) + 1));
            assertTrue(body.startsWith("413 {\"error\":\"body_too_large\""), body);
        }
    }

    private static String exchange(
        final ReconcileService service, final HttpMethod method, final String uri, final String body)
    {
        final EmbeddedChannel channel = new EmbeddedChannel(new ReconcileHttpHandler(service, Runnable::run,
            MAX_BODY_BYTES, new ServerCounters()));
        try
        {
            channel.writeInbound(new DefaultHttpRequest(HttpVersion.HTTP_1_1, method, uri));
            // a request refused from its line is answered and closed: the body is never offered
            if (!body.isEmpty() && channel.isOpen())
            {
                channel.writeInbound(new DefaultHttpContent(Unpooled.copiedBuffer(body, StandardCharsets.UTF_8)));
            }
            if (channel.isOpen())
            {
                channel.writeInbound(LastHttpContent.EMPTY_LAST_CONTENT);
            }
            channel.runPendingTasks();
            final FullHttpResponse response = channel.readOutbound();
            try
            {
                return response.status().code() + " " + response.content().toString(StandardCharsets.UTF_8);
            }
            finally
            {
                response.release();
            }
        }
        finally
        {
            channel.finishAndReleaseAll();
        }
    }
}
