package io.iysfilter.server.resp;

import io.iysfilter.server.FilterServer;
import io.iysfilter.server.Fixtures;
import io.iysfilter.server.decision.Reason;
import io.iysfilter.server.metrics.ServerCounters.Endpoint;
import io.iysfilter.server.net.TestCertificates;
import io.iysfilter.server.net.TlsSettings;
import io.iysfilter.server.security.BearerTokens;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SslOptions;
import io.lettuce.core.SslVerifyMode;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.NestedMultiOutput;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.ProtocolKeyword;
import io.lettuce.core.protocol.ProtocolVersion;
import io.lettuce.core.RedisFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.RedisProtocol;
import redis.clients.jedis.Response;
import redis.clients.jedis.commands.ProtocolCommand;
import redis.clients.jedis.exceptions.JedisAccessControlException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.util.KeyValue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The real server on loopback with two real Redis client libraries, used as their users would: Jedis 8 and Lettuce 7
 * through their generic command APIs ({@code sendCommand}, {@code dispatch}), RESP2 and RESP3, pipelined, and AUTH
 * under a clients file over TLS. Answers are held to the fixture's records (ONAY, RET, no index for the brand).
 */
@Timeout(120)
class RespClientsIT
{
    /** Stands for a reply's decision id. */
    private static final String ID = "<decision id>";
    private static final ProtocolCommand JEDIS_CHECK = () -> "IYS.CHECK".getBytes(StandardCharsets.US_ASCII);
    private static final ProtocolCommand JEDIS_MCHECK = () -> "IYS.MCHECK".getBytes(StandardCharsets.US_ASCII);
    private static final ProtocolKeyword LETTUCE_CHECK = keyword("IYS.CHECK");
    private static final ProtocolKeyword LETTUCE_MCHECK = keyword("IYS.MCHECK");
    private static final String DISPATCHER = "iysf_resp-clients-it-dispatcher-token-0123456789";
    private static final String UNKNOWN_BRAND = "700001";

    @TempDir
    Path dataDir;
    @TempDir
    Path certs;
    private long asOf;
    private FilterServer server;

    @BeforeEach
    void writeIndex() throws Exception
    {
        asOf = Fixtures.write(dataDir);
    }

    @AfterEach
    void stop()
    {
        if (server != null)
        {
            server.close();
        }
    }

    private static ProtocolKeyword keyword(final String name)
    {
        return new ProtocolKeyword()
        {
            @Override
            public byte[] getBytes()
            {
                return name.getBytes(StandardCharsets.US_ASCII);
            }

            @Override
            public String toString()
            {
                return name;
            }
        };
    }

    private List<Object> decision(final Reason reason, final long asOfMs)
    {
        return List.of(reason.verdict(), reason.name(), asOfMs, ID);
    }

    /**
     * @return the reply with each decision id (16 hex digits) replaced by {@link #ID}: any id will do here, as long
     * as it has the form of one.
     */
    private static Object ids(final Object reply)
    {
        if (reply instanceof String text)
        {
            return text.matches("[0-9a-f]{16}") ? ID : text;
        }
        if (reply instanceof List<?> list)
        {
            return list.stream().map(RespClientsIT::ids).toList();
        }
        return reply;
    }

    /**
     * Jedis's replies as plain values: bytes as text (a decision id as {@link #ID}), RESP3 maps as maps.
     */
    private static Object plain(final Object reply)
    {
        if (reply instanceof byte[] bytes)
        {
            return ids(new String(bytes, StandardCharsets.UTF_8));
        }
        if (reply instanceof List<?> list)
        {
            if (!list.isEmpty() && list.get(0) instanceof KeyValue<?, ?>)
            {
                final Map<Object, Object> map = new LinkedHashMap<>();
                for (final Object entry : list)
                {
                    final KeyValue<?, ?> pair = (KeyValue<?, ?>)entry;
                    map.put(plain(pair.getKey()), plain(pair.getValue()));
                }
                return map;
            }
            final List<Object> items = new ArrayList<>();
            for (final Object item : list)
            {
                items.add(plain(item));
            }
            return items;
        }
        return reply;
    }

    @Test
    void shouldAnswerJedisAsTheIndexHoldsItPipelinedAndInRespThree() throws Exception
    {
        server = FilterServer.start(Fixtures.context(dataDir).milterPort(-1));
        final String brand = Long.toString(Fixtures.BRAND);
        try (Jedis jedis = new Jedis("127.0.0.1", server.respPort(),
            DefaultJedisClientConfig.builder().protocol(RedisProtocol.RESP2).timeoutMillis(10_000).build()))
        {
            assertEquals("PONG", jedis.ping());
            assertEquals(decision(Reason.CONSENT, asOf),
                plain(jedis.sendCommand(JEDIS_CHECK, brand, "MESAJ", Fixtures.CONSENTED)));
            assertEquals(decision(Reason.REJECTED, asOf),
                plain(jedis.sendCommand(JEDIS_CHECK, brand, "mesaj", Fixtures.REJECTED)));
            assertEquals(decision(Reason.UNKNOWN_BRAND, 0),
                plain(jedis.sendCommand(JEDIS_CHECK, UNKNOWN_BRAND, "MESAJ", Fixtures.CONSENTED)));
            assertEquals(List.of(decision(Reason.CONSENT, asOf), decision(Reason.CONSENT, asOf),
                decision(Reason.REJECTED, asOf)), plain(jedis.sendCommand(JEDIS_MCHECK, brand, "EPOSTA",
                Fixtures.EMAIL, Fixtures.ALICE, Fixtures.BOB)));
            final JedisDataException unknown = assertThrows(JedisDataException.class, () -> jedis.get("c:1"));
            assertTrue(unknown.getMessage().startsWith("ERR unknown command 'GET'"), unknown.getMessage());
            assertEquals("PONG", jedis.ping(), "the connection stays usable");

            final Pipeline pipeline = jedis.pipelined();
            final List<Response<Object>> responses = new ArrayList<>();
            for (int i = 0; i < 500; i++)
            {
                responses.add(pipeline.sendCommand(JEDIS_CHECK, brand, "MESAJ", Fixtures.bulkPhone(i)));
            }
            pipeline.sync();
            for (int i = 0; i < 500; i++)
            {
                assertEquals(decision(i % 2 == 0 ? Reason.CONSENT : Reason.REJECTED, asOf),
                    plain(responses.get(i).get()), "pipelined answer " + i);
            }
        }
        try (Jedis jedis = new Jedis("127.0.0.1", server.respPort(),
            DefaultJedisClientConfig.builder().protocol(RedisProtocol.RESP3).timeoutMillis(10_000).build()))
        {
            assertEquals(Map.of("verdict", "DENY", "reason", "REJECTED", "asof", asOf, "id", ID),
                plain(jedis.sendCommand(JEDIS_CHECK, brand, "MESAJ", Fixtures.REJECTED)));
        }
        assertTrue(server.counters().decisions(Endpoint.RESP, Reason.REJECTED) >= 252);
    }

    @Test
    void shouldAnswerLettuceInRespThreePipelined() throws Exception
    {
        server = FilterServer.start(Fixtures.context(dataDir).milterPort(-1));
        final String brand = Long.toString(Fixtures.BRAND);
        final RedisClient client = RedisClient.create(RedisURI.Builder.redis("127.0.0.1", server.respPort())
            .withTimeout(Duration.ofSeconds(10)).build());
        client.setOptions(ClientOptions.builder().protocolVersion(ProtocolVersion.RESP3).build());
        try (StatefulRedisConnection<String, String> connection = client.connect())
        {
            assertEquals("PONG", connection.sync().ping());
            // RESP3 (HELLO 3 at connect): a decision is a map, which Lettuce's nested output lays out flat
            assertEquals(List.of("verdict", "ALLOW", "reason", "CONSENT", "asof", asOf, "id", ID),
                ids(connection.sync().dispatch(LETTUCE_CHECK, new NestedMultiOutput<>(StringCodec.UTF8),
                    new CommandArgs<>(StringCodec.UTF8).add(brand).add("MESAJ").add(Fixtures.CONSENTED))));
            assertEquals(List.of("verdict", "DENY", "reason", "UNKNOWN_BRAND", "asof", 0L, "id", ID),
                ids(connection.sync().dispatch(LETTUCE_CHECK, new NestedMultiOutput<>(StringCodec.UTF8),
                    new CommandArgs<>(StringCodec.UTF8).add(UNKNOWN_BRAND).add("MESAJ")
                        .add(Fixtures.CONSENTED))));
            final List<Object> many = connection.sync().dispatch(LETTUCE_MCHECK,
                new NestedMultiOutput<>(StringCodec.UTF8), new CommandArgs<>(StringCodec.UTF8).add(brand)
                    .add("MESAJ").add("KIND").add("COMMERCIAL").add(Fixtures.CONSENTED).add(Fixtures.REJECTED));
            assertEquals(List.of(List.of("verdict", "ALLOW", "reason", "CONSENT", "asof", asOf, "id", ID),
                List.of("verdict", "DENY", "reason", "REJECTED", "asof", asOf, "id", ID)), ids(many));

            final RedisAsyncCommands<String, String> async = connection.async();
            connection.setAutoFlushCommands(false);
            final List<RedisFuture<List<Object>>> futures = new ArrayList<>();
            for (int i = 0; i < 500; i++)
            {
                futures.add(async.dispatch(LETTUCE_CHECK, new NestedMultiOutput<>(StringCodec.UTF8),
                    new CommandArgs<>(StringCodec.UTF8).add(brand).add("MESAJ").add(Fixtures.bulkPhone(i))));
            }
            connection.flushCommands();
            for (int i = 0; i < 500; i++)
            {
                final Reason expected = i % 2 == 0 ? Reason.CONSENT : Reason.REJECTED;
                assertEquals(List.of("verdict", expected.verdict(), "reason", expected.name(), "asof", asOf, "id", ID),
                    ids(futures.get(i).get(10, TimeUnit.SECONDS)), "pipelined answer " + i);
            }
            connection.setAutoFlushCommands(true);
            final RedisCommandExecutionException tooMany = assertThrows(RedisCommandExecutionException.class, () ->
            {
                final CommandArgs<String, String> args = new CommandArgs<>(StringCodec.UTF8).add(brand).add("MESAJ");
                for (int i = 0; i <= RespEndpoint.MAX_RECIPIENTS; i++)
                {
                    args.add(Fixtures.CONSENTED);
                }
                connection.sync().dispatch(LETTUCE_MCHECK, new NestedMultiOutput<>(StringCodec.UTF8), args);
            });
            assertTrue(tooMany.getMessage().contains("too many recipients"), tooMany.getMessage());
            assertEquals("PONG", connection.sync().ping(), "the connection stays usable");
        }
        finally
        {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(5));
        }
    }

    @Test
    void shouldAuthenticateBothClientsOverTlsUnderAClientsFile() throws Exception
    {
        final TestCertificates.Issued ca = TestCertificates.ca(certs, "resp-ca");
        final TestCertificates.Issued issued = TestCertificates.server(certs, "server", ca);
        final Path clients = certs.resolve("clients.conf");
        Files.writeString(clients, "[dispatcher]\nroles = check\nbrands = " + Fixtures.BRAND + "\ntoken = " +
            BearerTokens.hash(DISPATCHER) + "\n");
        server = FilterServer.start(Fixtures.context(dataDir).milterPort(-1).clientsFile(clients)
            .tls(TlsSettings.of(issued.certFile(), issued.keyFile(), null)));
        final String brand = Long.toString(Fixtures.BRAND);

        final char[] password = "changeit".toCharArray();
        final redis.clients.jedis.SslOptions jedisTls = redis.clients.jedis.SslOptions.builder()
            .truststore(TestCertificates.trustStore(certs.resolve("trust.p12"), password, ca).toFile(), password)
            .trustStoreType("PKCS12").sslVerifyMode(redis.clients.jedis.SslVerifyMode.FULL).build();
        try (Jedis jedis = new Jedis("127.0.0.1", server.respPort(), DefaultJedisClientConfig.builder()
            .sslOptions(jedisTls).password(DISPATCHER).timeoutMillis(10_000).build()))
        {
            assertEquals(decision(Reason.CONSENT, asOf),
                plain(jedis.sendCommand(JEDIS_CHECK, brand, "MESAJ", Fixtures.CONSENTED)));
            final JedisDataException noPerm = assertThrows(JedisDataException.class, () ->
                jedis.sendCommand(JEDIS_CHECK, Long.toString(Fixtures.STALE_BRAND), "MESAJ", Fixtures.CONSENTED));
            assertTrue(noPerm.getMessage().startsWith("NOPERM"), noPerm.getMessage());
        }
        try (Jedis wrong = new Jedis("127.0.0.1", server.respPort(), DefaultJedisClientConfig.builder()
            .sslOptions(jedisTls).timeoutMillis(10_000).build()))
        {
            assertThrows(JedisAccessControlException.class, () -> wrong.auth("not-the-token"));
            final JedisDataException noAuth = assertThrows(JedisDataException.class, () ->
                wrong.sendCommand(JEDIS_CHECK, brand, "MESAJ", Fixtures.CONSENTED));
            assertTrue(noAuth.getMessage().startsWith("NOAUTH"), noAuth.getMessage());
        }

        final RedisClient client = RedisClient.create(RedisURI.Builder.redis("127.0.0.1", server.respPort())
            .withSsl(true).withVerifyPeer(SslVerifyMode.FULL).withAuthentication("default", DISPATCHER)
            .withTimeout(Duration.ofSeconds(10)).build());
        client.setOptions(ClientOptions.builder().protocolVersion(ProtocolVersion.RESP3)
            .sslOptions(SslOptions.builder().jdkSslProvider().trustManager(ca.certFile().toFile()).build()).build());
        try (StatefulRedisConnection<String, String> connection = client.connect())
        {
            assertEquals(List.of("verdict", "DENY", "reason", "REJECTED", "asof", asOf, "id", ID),
                ids(connection.sync().dispatch(LETTUCE_CHECK, new NestedMultiOutput<>(StringCodec.UTF8),
                    new CommandArgs<>(StringCodec.UTF8).add(brand).add("MESAJ").add(Fixtures.REJECTED))));
        }
        finally
        {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(5));
        }
    }
}
