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

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The RESP endpoint driven by redis-py, the Python client most dispatchers would use: Debian 12's
 * {@code python3-redis} (4.3.4, installed by .ci/run), run with {@code /usr/bin/python3} (the package installs into
 * Debian's own Python, not into any other python3 on the PATH). The script ({@code resp/iys_check.py}) asks every
 * question with {@code execute_command('IYS.CHECK', ...)}, then all of them in one pipeline, then through
 * IYS.MCHECK, and also PING, an unknown command and a question after it on the same connection; each answer is
 * checked against the records {@link Fixtures} wrote and the binary protocol's answer to the same question. A
 * second server has TLS and a clients file: the script reaches it with the CA file, a user name and the token, and
 * gets no decision with a wrong token or for a brand not its client's.
 *
 * <p>RESP3 is not tried from Python: redis-py speaks it from version 5 on ({@code protocol=3}); 4.3.4 has no such
 * option and its reply parser knows only RESP2 types. RESP3 is covered by {@code redis-cli -3} in
 * {@link RespRedisCliIT}. On CI ({@code CI} set) a missing Python or python3-redis fails the test; elsewhere it is
 * skipped saying so.
 */
@Timeout(180)
class RespPythonIT
{
    private static final Path PYTHON = Path.of("/usr/bin/python3");

    @TempDir
    static Path work;
    private static FilterServer server;
    private static FilterServer secure;
    private static FilterClient binary;
    private static FilterClient secureBinary;
    private static Path script;
    private static Path tokenFile;
    private static TestCertificates.Issued ca;

    @BeforeAll
    static void start() throws Exception
    {
        final boolean python = Files.isExecutable(PYTHON);
        ExternalClient.require(python && ExternalClient.run(List.of(PYTHON.toString(), "-c", "import redis"), null,
            Map.of(), work).exit() == 0, "needs Debian's python3-redis for /usr/bin/python3 (apt-get install " +
            "python3-redis; .ci/run installs it): /usr/bin/python3 " + (python ? "cannot import redis" : "missing"));
        script = work.resolve("iys_check.py");
        try (var in = RespPythonIT.class.getResourceAsStream("/resp/iys_check.py"))
        {
            Files.write(script, in.readAllBytes());
        }

        server = RespTestServers.open(work.resolve("open"));
        binary = FilterClient.connect("127.0.0.1", server.binaryPort());
        final RespTestServers.Secure started = RespTestServers.secure(work.resolve("secure"));
        secure = started.server();
        ca = started.ca();
        tokenFile = Files.writeString(work.resolve("acme-sms.token"), started.token() + "\n");
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
    void shouldDecideAsTheIndexOneByOnePipelinedAndInMchecks() throws Exception
    {
        final List<RespQuestions.Question> questions = new ArrayList<>(RespQuestions.kinds());
        questions.addAll(RespQuestions.bulk(Fixtures.BULK));
        final ExternalClient.Run run = python(server.respPort(), questions);
        assertEquals(0, run.exit(), run.toString());

        final List<String> expected = new ArrayList<>();
        for (final String mode : new String[]{"single", "pipeline", "mcheck"})
        {
            for (int i = 0; i < questions.size(); i++)
            {
                final RespQuestions.Question question = questions.get(i);
                expected.add(mode + " " + i + " " + question.verdict() + " " + question.reason() + " " +
                    question.asOfFrom(binary) + " id");
            }
        }
        expected.add("ping True");
        expected.add("unknown ResponseError unknown");
        final RespQuestions.Question first = questions.get(0);
        expected.add("after-unknown 0 " + first.verdict() + " " + first.reason() + " " + first.asOfFrom(binary) +
            " id");
        assertEquals(expected, run.lines(), run.err());
    }

    @Test
    void shouldDecideOverTlsForTheClientOfTheTokenOnly() throws Exception
    {
        final List<RespQuestions.Question> questions = new ArrayList<>(RespQuestions.kindsOfTheFreshBrand());
        questions.addAll(RespQuestions.bulk(100));
        final ExternalClient.Run run = python(secure.respPort(), questions, "--tls-ca-file", ca.certFile().toString(),
            "--user", RespTestServers.CLIENT, "--token-file", tokenFile.toString());
        assertEquals(0, run.exit(), run.toString());
        final List<String> decisions = run.lines().stream().filter((line) -> line.startsWith("single ") ||
            line.startsWith("pipeline ") || line.startsWith("mcheck ")).toList();
        assertEquals(3 * questions.size(), decisions.size(), run.toString());
        for (final String line : decisions)
        {
            final RespQuestions.Question question = questions.get(Integer.parseInt(line.split(" ")[1]));
            final String mode = line.split(" ")[0];
            assertEquals(mode + " " + line.split(" ")[1] + " " + question.verdict() + " " + question.reason() + " " +
                question.asOfFrom(secureBinary) + " id", line, run.err());
        }

        final RespQuestions.Question otherBrand = RespQuestions.otherBrand();
        final ExternalClient.Run forbidden = python(secure.respPort(), List.of(otherBrand), "--tls-ca-file",
            ca.certFile().toString(), "--user", RespTestServers.CLIENT, "--token-file", tokenFile.toString());
        // NOPERM, which redis-py raises as NoPermissionError ("User acme-sms has no permissions ...")
        assertEquals(List.of("single 0 ERROR NoPermissionError:User", "pipeline 0 ERROR NoPermissionError:User",
            "mcheck 0 ERROR NoPermissionError:User"), forbidden.lines().subList(0, 3), forbidden.toString());

        final Path wrong = Files.writeString(work.resolve("wrong.token"), "iysf_not-a-token\n");
        final ExternalClient.Run refused = python(secure.respPort(), questions.subList(0, 1), "--tls-ca-file",
            ca.certFile().toString(), "--user", RespTestServers.CLIENT, "--token-file", wrong.toString());
        // WRONGPASS, which redis-py 4.3.4 raises as a plain ResponseError when its AUTH on connecting is refused
        assertEquals(List.of("single 0 ERROR ResponseError:WRONGPASS", "pipeline 0 ERROR ResponseError:WRONGPASS",
            "mcheck 0 ERROR ResponseError:WRONGPASS"), refused.lines().subList(0, 3), refused.toString());
    }

    private static ExternalClient.Run python(final int port, final List<RespQuestions.Question> questions,
        final String... options) throws Exception
    {
        final StringBuilder file = new StringBuilder();
        for (final RespQuestions.Question question : questions)
        {
            file.append(String.join("\t", question.arguments())).append('\n');
        }
        final Path questionsFile = Files.writeString(Files.createTempFile(work, "questions", ".tsv"), file);
        final List<String> command = new ArrayList<>(List.of(PYTHON.toString(), script.toString(), "--port",
            Integer.toString(port)));
        command.addAll(List.of(options));
        command.add(questionsFile.toString());
        return ExternalClient.run(command, null, Map.of(), work);
    }
}
