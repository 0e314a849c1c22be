package io.iysfilter.server.resp;

import io.iysfilter.client.FilterClient;
import io.iysfilter.server.FilterServer;
import io.iysfilter.server.Fixtures;
import io.iysfilter.server.net.TestCertificates;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The RESP endpoint driven by Redis's own command-line client, {@code redis-cli} (Debian's redis-tools, installed by
 * .ci/run), as an operator or a shell script would: each kind of decision, IYS.MCHECK, RESP3 ({@code -3}),
 * commands read from standard input, raw protocol piped ({@code --pipe}), PING, INFO, an unknown command, and a
 * server with TLS and a clients file reached with {@code --tls}, {@code --user/--pass}, {@code REDISCLI_AUTH} and an
 * {@code AUTH} typed in. Every decision is checked against the records {@link Fixtures} wrote and against the binary
 * protocol's answer to the same question. On CI ({@code CI} set) a missing redis-cli fails the test; elsewhere it
 * is skipped saying so.
 *
 * <p>When its output is not a terminal, redis-cli prints each value of a reply on a line of its own (an array's
 * elements one after another, a RESP3 map's entries as {@code key value}) and an error as its text.
 */
@Timeout(180)
class RespRedisCliIT
{
    /** Stands for the decision id redis-cli prints as a decision's 4th line (RESP2) or its {@code id} (RESP3). */
    private static final String ID = "<decision id>";
    @TempDir
    static Path work;
    private static FilterServer server;
    private static FilterServer secure;
    private static FilterClient binary;
    private static FilterClient secureBinary;
    private static String token;
    private static TestCertificates.Issued ca;

    @BeforeAll
    static void start() throws Exception
    {
        ExternalClient.require(ExternalClient.onPath("redis-cli"),
            "needs redis-cli on the PATH (Debian: redis-tools; .ci/run installs it)");
        server = RespTestServers.open(work.resolve("open"));
        binary = FilterClient.connect("127.0.0.1", server.binaryPort());
        final RespTestServers.Secure started = RespTestServers.secure(work.resolve("secure"));
        secure = started.server();
        ca = started.ca();
        token = started.token();
        secureBinary = started.binaryClient();
    }

    @AfterAll
    static void stop()
    {
        if (binary != null)
        {
            binary.close();
        }
        if (secureBinary != null)
        {
            secureBinary.close();
        }
        if (server != null)
        {
            server.close();
        }
        if (secure != null)
        {
            secure.close();
        }
    }

    @Test
    void shouldAnswerEachKindOfDecisionAsTheIndexHoldsIt() throws Exception
    {
        for (final RespQuestions.Question question : RespQuestions.kinds())
        {
            final List<String> command = cli("IYS.CHECK");
            command.addAll(question.arguments());
            final ExternalClient.Run run = run(command, null);
            assertEquals(0, run.exit(), run.toString());
            assertEquals(decision(question), ids(run.lines()), String.join(" ", command));
        }
    }

    @Test
    void shouldAnswerAnMcheckOfAThousandInOrder() throws Exception
    {
        final List<RespQuestions.Question> questions = RespQuestions.bulk(1_000);
        final List<String> command = cli("IYS.MCHECK", Long.toString(Fixtures.BRAND), "MESAJ");
        questions.forEach((question) -> command.add(question.recipient()));
        final ExternalClient.Run run = run(command, null);
        assertEquals(0, run.exit(), run.toString());
        final List<String> expected = new ArrayList<>();
        questions.forEach((question) -> expected.addAll(decision(question)));
        assertEquals(expected, ids(run.lines()));

        command.add(Fixtures.bulkPhone(1_000));
        final ExternalClient.Run tooMany = run(command, null);
        assertEquals(List.of("ERR too many recipients for 'iys.mcheck' command: 1001 (expected: at most 1000)"),
            tooMany.lines().stream().filter((line) -> !line.isBlank()).toList(), "one error, no decision: " + tooMany);
    }

    @Test
    void shouldAnswerMapsInResp3() throws Exception
    {
        final RespQuestions.Question consented = RespQuestions.consented();
        final List<String> check = cli("-3", "IYS.CHECK");
        check.addAll(consented.arguments());
        final ExternalClient.Run single = run(check, null);
        assertEquals(0, single.exit(), single.toString());
        assertEquals(asMap(consented), ids(single.lines()));

        final List<RespQuestions.Question> questions = RespQuestions.bulk(4);
        final List<String> mcheck = cli("-3", "IYS.MCHECK", Long.toString(Fixtures.BRAND), "MESAJ");
        questions.forEach((question) -> mcheck.add(question.recipient()));
        final ExternalClient.Run many = run(mcheck, null);
        assertEquals(questions.stream().flatMap((question) -> asMap(question).stream()).toList(), ids(many.lines()),
            many.toString());
    }

    @Test
    void shouldAnswerCommandsFromStandardInputInOrderAndGoOnAfterAnUnknownOne() throws Exception
    {
        final List<RespQuestions.Question> questions = new ArrayList<>(RespQuestions.kinds());
        questions.addAll(RespQuestions.bulk(Fixtures.BULK));
        final StringBuilder stdin = new StringBuilder();
        final List<String> expected = new ArrayList<>();
        for (int i = 0; i < questions.size(); i++)
        {
            if (i == questions.size() / 2)
            {
                stdin.append("IYS.NOSUCH 1 2\n");
                expected.add("ERR unknown command");
            }
            stdin.append("IYS.CHECK ").append(questions.get(i).arguments().stream().map(RespRedisCliIT::quoted)
                .collect(Collectors.joining(" "))).append('\n');
            expected.addAll(decision(questions.get(i)));
        }
        stdin.append("PING\n");
        expected.add("PONG");

        final ExternalClient.Run run = run(cli(), stdin.toString());
        assertEquals(0, run.exit(), run.toString());
        final List<String> lines = ids(run.lines()).stream().filter((line) -> !line.isBlank())
            .map((line) -> line.startsWith("ERR unknown command") ? "ERR unknown command" : line).toList();
        assertEquals(expected, lines);
    }

    @Test
    void shouldTakeAPipeOfRawProtocolAndAnswerEveryCommand() throws Exception
    {
        final StringBuilder protocol = new StringBuilder();
        for (final RespQuestions.Question question : RespQuestions.bulk(Fixtures.BULK))
        {
            final List<String> words = new ArrayList<>(List.of("IYS.CHECK"));
            words.addAll(question.arguments());
            protocol.append('*').append(words.size()).append("\r\n");
            for (final String word : words)
            {
                protocol.append('$').append(word.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(word)
                    .append("\r\n");
            }
        }
        final ExternalClient.Run run = run(cli("--pipe"), protocol.toString());
        assertEquals(0, run.exit(), run.toString());
        assertTrue(run.out().contains("errors: 0, replies: " + Fixtures.BULK), run.toString());

        final ExternalClient.Run withUnknown = run(cli("--pipe"), protocol + "*1\r\n$10\r\nIYS.NOSUCH\r\n");
        assertTrue(withUnknown.out().contains("errors: 1, replies: " + (Fixtures.BULK + 1)), withUnknown.toString());
    }

    @Test
    void shouldAnswerPingInfoAndAnUnknownCommand() throws Exception
    {
        assertEquals(List.of("PONG"), run(cli("PING"), null).lines());

        final ExternalClient.Run info = run(cli("INFO"), null);
        assertEquals(0, info.exit(), info.toString());
        assertTrue(info.out().contains("iys_filter_version:"), info.toString());
        assertTrue(info.out().contains("uptime_in_seconds:"), info.toString());
        assertTrue(info.lines().contains("brands:2"), "the fresh brand and the stale one: " + info);

        final ExternalClient.Run unknown = run(cli("GET", "some-key"), null);
        assertTrue(unknown.out().startsWith("ERR unknown command"), unknown.toString());
    }

    @Test
    void shouldAnswerOverTlsOnlyTheClientOfTheClientsFile() throws Exception
    {
        final String port = Integer.toString(secure.respPort());
        final List<String> tls = List.of("redis-cli", "-h", "127.0.0.1", "-p", port, "--tls", "--cacert",
            ca.certFile().toString());
        final RespQuestions.Question consented = RespQuestions.consented();
        final List<String> ask = new ArrayList<>(List.of("IYS.CHECK"));
        ask.addAll(consented.arguments());

        final ExternalClient.Run userAndPass = run(concat(tls, List.of("--no-auth-warning", "--user",
            RespTestServers.CLIENT, "--pass", token), ask), null, Map.of());
        assertEquals(decision(consented, secureBinary), ids(userAndPass.lines()),
            "AUTH acme-sms <token>: " + userAndPass);

        final ExternalClient.Run fromEnvironment = run(concat(tls, ask), null, Map.of("REDISCLI_AUTH", token));
        assertEquals(decision(consented, secureBinary), ids(fromEnvironment.lines()),
            "AUTH <token>: " + fromEnvironment);

        final ExternalClient.Run resp3 = run(concat(tls, List.of("-3"), ask), null, Map.of("REDISCLI_AUTH", token));
        assertEquals(asMap(consented, secureBinary), ids(resp3.lines()), "AUTH, then HELLO 3: " + resp3);

        final ExternalClient.Run typedIn = run(tls, "AUTH " + token + "\nIYS.CHECK " +
            String.join(" ", consented.arguments()) + "\n", Map.of());
        assertEquals(concat(List.of("OK"), decision(consented, secureBinary)), ids(typedIn.lines()),
            "AUTH typed in: " + typedIn);

        final ExternalClient.Run anonymous = run(concat(tls, ask), null, Map.of());
        assertNoDecision(anonymous, "no AUTH");
        final ExternalClient.Run wrongToken = run(concat(tls, ask), null, Map.of("REDISCLI_AUTH", "iysf_wrong"));
        assertNoDecision(wrongToken, "a token no client has");

        final RespQuestions.Question otherBrand = RespQuestions.otherBrand();
        final List<String> askOther = new ArrayList<>(List.of("IYS.CHECK"));
        askOther.addAll(otherBrand.arguments());
        assertNoDecision(run(concat(tls, askOther), null, Map.of("REDISCLI_AUTH", token)), "a brand not the client's");

        final ExternalClient.Run plaintext = run(concat(List.of("redis-cli", "-h", "127.0.0.1", "-p", port), ask),
            null, Map.of("REDISCLI_AUTH", token));
        assertNoDecision(plaintext, "plaintext to the TLS port");
    }

    private static void assertNoDecision(final ExternalClient.Run run, final String what)
    {
        assertFalse(run.out().contains("ALLOW") || run.out().contains("DENY"), what + " got a decision: " + run);
        assertNotEquals("", (run.out() + run.err()).strip(), what + " said nothing: " + run);
    }

    /**
     * @return the lines redis-cli prints for the question's RESP2 decision: verdict, reason, as-of.
     */
    private static List<String> decision(final RespQuestions.Question question)
    {
        return decision(question, binary);
    }

    private static List<String> decision(final RespQuestions.Question question, final FilterClient client)
    {
        return List.of(question.verdict(), question.reason(), Long.toString(question.asOfFrom(client)), ID);
    }

    /**
     * @return the lines with each decision id (a line of 16 hex digits, or {@code id} and one) replaced by
     * {@link #ID}: any id will do here, as long as it has the form of one.
     */
    private static List<String> ids(final List<String> lines)
    {
        return lines.stream().map((line) -> line.matches("[0-9a-f]{16}") ? ID :
            line.matches("id [0-9a-f]{16}") ? "id " + ID : line).toList();
    }

    private static List<String> asMap(final RespQuestions.Question question)
    {
        return asMap(question, binary);
    }

    private static List<String> asMap(final RespQuestions.Question question, final FilterClient client)
    {
        return List.of("verdict " + question.verdict(), "reason " + question.reason(),
            "asof " + question.asOfFrom(client), "id " + ID);
    }

    private static String quoted(final String word)
    {
        return word.contains(" ") ? "\"" + word + "\"" : word;
    }

    private static List<String> cli(final String... words)
    {
        final List<String> command = new ArrayList<>(List.of("redis-cli", "-h", "127.0.0.1", "-p",
            Integer.toString(server.respPort())));
        command.addAll(List.of(words));
        return command;
    }

    @SafeVarargs
    private static List<String> concat(final List<String>... parts)
    {
        final List<String> all = new ArrayList<>();
        for (final List<String> part : parts)
        {
            all.addAll(part);
        }
        return all;
    }

    private static ExternalClient.Run run(final List<String> command, final String stdin) throws Exception
    {
        return run(command, stdin, Map.of());
    }

    private static ExternalClient.Run run(final List<String> command, final String stdin,
        final Map<String, String> env) throws Exception
    {
        return ExternalClient.run(command, stdin, env, work);
    }
}
