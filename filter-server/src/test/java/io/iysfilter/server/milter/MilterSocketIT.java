package io.iysfilter.server.milter;

import io.iysfilter.server.FilterServer;
import io.iysfilter.server.Fixtures;
import io.iysfilter.server.metrics.ServerCounters.MilterError;
import io.iysfilter.server.net.PeerAllowList;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static io.iysfilter.server.milter.MilterPackets.frame;
import static io.iysfilter.server.milter.MilterPackets.macro;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The milter on a Unix domain socket ({@code milter-socket}) and its TCP peers' allow-list ({@code milter-allow}),
 * over real sockets on this host: a whole conversation over the socket, its file's mode and life (a stale one
 * replaced, anything else refused, removed at stop), and TCP peers outside the list closed at accept.
 */
@Timeout(120)
class MilterSocketIT
{
    private static final byte[] POSTFIX_OPTNEG = HexFormat.of().parseHex("0000000d4f00000006000001ff001fffff");
    private static final int READ_BOUND_MS = 20_000;
    private static final MilterSettings MILTER = new MilterSettings(new MilterBrandMap(Map.of(
        "domain:brand.example", new MilterBrandMap.Mapping(Fixtures.BRAND, null))), false, false);

    @TempDir
    static Path dataDir;
    @TempDir
    Path run;

    @BeforeAll
    static void writeIndex() throws Exception
    {
        Fixtures.write(dataDir);
    }

    @Test
    void shouldFilterAMessageOverTheUnixSocketAndRemoveItsFileAtStop() throws Exception
    {
        final Path socket = run.resolve("milter.sock");
        try (FilterServer server = FilterServer.start(Fixtures.context(dataDir).milterPort(-1).milterSocket(socket)
            .milter(MILTER)))
        {
            assertEquals(-1, server.milterPort(), "no TCP milter unless its port is set too");
            assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket,
                LinkOption.NOFOLLOW_LINKS)));
            try (SocketChannel mta = SocketChannel.open(UnixDomainSocketAddress.of(socket)))
            {
                final InputStream in = Channels.newInputStream(mta);
                write(mta, POSTFIX_OPTNEG);
                assertEquals('O', reply(in)[4], "options negotiated");
                write(mta, concat(macro('M', "{mail_addr}", "news@brand.example"), frame('M', "<news@brand.example>"),
                    frame('R', "<" + Fixtures.ALICE + ">"), frame('R', "<" + Fixtures.BOB + ">"), frame('T'),
                    frame('N'), frame('E')));
                final List<String> commands = new ArrayList<>();
                String removed = null;
                while (commands.isEmpty() || !"a".equals(commands.get(commands.size() - 1)))
                {
                    final byte[] frame = reply(in);
                    commands.add(String.valueOf((char)frame[4]));
                    if (frame[4] == '-')
                    {
                        removed = new String(frame, 5, frame.length - 6, StandardCharsets.UTF_8);
                    }
                }
                assertEquals(List.of("c", "c", "c", "-", "h", "a"), commands);
                assertEquals("<" + Fixtures.BOB + ">", removed, "the recipient without consent is removed");
            }
        }
        assertFalse(Files.exists(socket, LinkOption.NOFOLLOW_LINKS), "the socket file is removed at stop");
    }

    @Test
    void shouldReplaceAStaleSocketButNeverAnotherFileNorALiveSocket() throws Exception
    {
        final Path stale = run.resolve("stale.sock");
        try (ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX))
        {
            dead.bind(UnixDomainSocketAddress.of(stale));
        }
        assertTrue(Files.exists(stale, LinkOption.NOFOLLOW_LINKS), "closing leaves the file, as a crash would");
        try (FilterServer server = FilterServer.start(Fixtures.context(dataDir).milterPort(-1).milterSocket(stale)))
        {
            assertEquals(-1, server.milterPort());
            try (SocketChannel mta = SocketChannel.open(UnixDomainSocketAddress.of(stale)))
            {
                write(mta, POSTFIX_OPTNEG);
                assertEquals('O', reply(Channels.newInputStream(mta))[4]);
            }
        }

        final Path regular = Files.writeString(run.resolve("notes.txt"), "keep me");
        final IllegalStateException notASocket = assertThrows(IllegalStateException.class, () ->
            FilterServer.start(Fixtures.context(dataDir).milterPort(-1).milterSocket(regular)));
        assertTrue(notASocket.getMessage().contains("is not a socket"), notASocket.getMessage());
        assertEquals("keep me", Files.readString(regular));

        final Path live = run.resolve("live.sock");
        try (ServerSocketChannel other = ServerSocketChannel.open(StandardProtocolFamily.UNIX))
        {
            other.bind(UnixDomainSocketAddress.of(live));
            final IllegalStateException inUse = assertThrows(IllegalStateException.class, () ->
                FilterServer.start(Fixtures.context(dataDir).milterPort(-1).milterSocket(live)));
            assertTrue(inUse.getMessage().contains("is in use"), inUse.getMessage());
            assertTrue(Files.exists(live, LinkOption.NOFOLLOW_LINKS), "another process's socket is left alone");
        }
    }

    @Test
    void shouldCloseATcpPeerOutsideTheAllowListAtAcceptAndCountIt() throws Exception
    {
        try (FilterServer server = FilterServer.start(Fixtures.context(dataDir).milterAllow(
            PeerAllowList.parse("10.0.0.0/8, ::1"))))
        {
            try (Socket refused = new Socket("127.0.0.1", server.milterPort()))
            {
                refused.setSoTimeout(READ_BOUND_MS);
                try
                {
                    refused.getOutputStream().write(POSTFIX_OPTNEG);
                    assertEquals(-1, refused.getInputStream().read(), "closed unanswered");
                }
                catch (final IOException reset)
                {
                    // closed before the write arrived: refused all the same
                }
            }
            assertEquals(1, server.counters().milterErrors(MilterError.NOT_ALLOWED));
        }
    }

    @Test
    void shouldServeATcpPeerInTheAllowList() throws Exception
    {
        try (FilterServer server = FilterServer.start(Fixtures.context(dataDir).milterAllow(
            PeerAllowList.parse("10.0.0.0/8, 127.0.0.0/8"))))
        {
            try (Socket allowed = new Socket("127.0.0.1", server.milterPort()))
            {
                allowed.setSoTimeout(READ_BOUND_MS);
                allowed.getOutputStream().write(POSTFIX_OPTNEG);
                assertEquals('O', reply(allowed.getInputStream())[4]);
            }
            assertEquals(0, server.counters().milterErrors(MilterError.NOT_ALLOWED));
        }
    }

    private static void write(final SocketChannel channel, final byte[] bytes) throws IOException
    {
        final ByteBuffer buffer = ByteBuffer.wrap(bytes);
        while (buffer.hasRemaining())
        {
            channel.write(buffer);
        }
    }

    /**
     * One milter packet: its length, command and payload. The socket channel blocks; the test's timeout bounds it.
     */
    private static byte[] reply(final InputStream in) throws IOException
    {
        final byte[] length = in.readNBytes(4);
        assertEquals(4, length.length, "the server closed the connection");
        final int size = ByteBuffer.wrap(length).getInt();
        final byte[] rest = in.readNBytes(size);
        assertEquals(size, rest.length, "the server closed the connection mid-packet");
        return concat(length, rest);
    }

    private static byte[] concat(final byte[]... parts)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (final byte[] part : parts)
        {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }
}
