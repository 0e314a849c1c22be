package io.iysfilter.server.milter;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.iysfilter.server.TestKeys;
import io.iysfilter.server.Fixtures;
import io.iysfilter.server.decision.ConsentFilter;
import io.iysfilter.server.decision.Decider;
import io.iysfilter.server.decision.DecisionRecorder;
import io.iysfilter.server.decision.FilterPolicy;
import io.iysfilter.server.decision.MessageKind;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.metrics.ServerCounters;
import io.iysfilter.server.metrics.ServerCounters.MilterError;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzes the milter packet decoder on an embedded connection, mounted as {@link MilterEndpoint#mount} does
 * (length-field framing, then the session), with decisions run in line. Structure-aware: each input is a sequence
 * of packets, mostly real milter commands (OPTNEG, MACRO, MAIL, RCPT, HEADER, EOB, ...) with fuzzed payloads,
 * sometimes with a wrong length or an unknown command, delivered in fuzzed pieces. Checked:
 * <ul>
 *   <li>nothing is thrown out of the pipeline;</li>
 *   <li>no packet reaches the session's last-resort error path (an exception inside the decoder): the documented
 *   refusals are an unknown command (closes, counted UNKNOWN_COMMAND), a bad OPTNEG (closes, BAD_NEGOTIATION) and a
 *   packet over the length limit (closes, CONNECTION_ERROR);</li>
 *   <li>every reply is a well-formed milter packet with a known reply command.</li>
 * </ul>
 */
class MilterPacketFuzzTest
{
    private static final byte[] COMMANDS = {
        MilterProtocol.SMFIC_OPTNEG, MilterProtocol.SMFIC_MACRO, MilterProtocol.SMFIC_CONNECT,
        MilterProtocol.SMFIC_HELO, MilterProtocol.SMFIC_MAIL, MilterProtocol.SMFIC_RCPT, MilterProtocol.SMFIC_DATA,
        MilterProtocol.SMFIC_HEADER, MilterProtocol.SMFIC_EOH, MilterProtocol.SMFIC_BODY,
        MilterProtocol.SMFIC_UNKNOWN, MilterProtocol.SMFIC_BODYEOB, MilterProtocol.SMFIC_ABORT,
        MilterProtocol.SMFIC_QUIT_NC, MilterProtocol.SMFIC_QUIT};
    private static final byte[] REPLIES = {
        MilterProtocol.SMFIR_ACCEPT, MilterProtocol.SMFIR_CONTINUE, MilterProtocol.SMFIR_ADDHEADER,
        MilterProtocol.SMFIR_DELRCPT, MilterProtocol.SMFIR_REPLYCODE, MilterProtocol.SMFIR_OPTNEG};
    private static final String[] ADDRESSES = {
        "<news@brand.test>", "<bulk@stale.test>", "<billing@other.test>", "<>", "<" + Fixtures.ALICE + ">",
        "<" + Fixtures.BOB + ">", Fixtures.ALICE, "<", ">", "", " <a@b> "};
    private static final String[] MACROS = {"{auth_authen}", "i", "{mail_addr}", "{rcpt_addr}", "j", "{", "}", ""};
    private static final String[] HEADERS = {
        MilterSessionHandler.BRAND_HEADER, MilterSessionHandler.KIND_HEADER, "Subject", "x-iys-brand", ""};
    private static final String[] HEADER_VALUES = {
        Long.toString(Fixtures.BRAND), Long.toString(Fixtures.STALE_BRAND), "TRANSACTIONAL", "COMMERCIAL", "0", "-1",
        " 600001 ", "99999999999", ""};
    private static final int MAX_LENGTH = MilterEndpoint.MAX_PACKET_LENGTH;

    @TempDir
    static Path dataDir;
    private static ConsentStore store;

    @BeforeAll
    static void openIndex() throws IOException
    {
        Fixtures.write(dataDir);
        store = ConsentStore.open(dataDir, TestKeys.options(10_000));
    }

    @AfterAll
    static void closeIndex()
    {
        store.close();
    }

    @FuzzTest(maxDuration = "4s")
    @Timeout(10)
    void packets(final FuzzedDataProvider data)
    {
        final MilterSettings settings = new MilterSettings(new MilterBrandMap(Map.of(
            "domain:brand.test", new MilterBrandMap.Mapping(Fixtures.BRAND, null),
            "sender:bulk@stale.test", new MilterBrandMap.Mapping(Fixtures.STALE_BRAND, null),
            "sender:billing@other.test", new MilterBrandMap.Mapping(Fixtures.BRAND, MessageKind.TRANSACTIONAL))),
            data.consumeBoolean(), data.consumeBoolean());
        final ByteArrayOutputStream input = new ByteArrayOutputStream();
        final int packets = data.consumeInt(1, 12);
        for (int i = 0; i < packets; i++)
        {
            input.writeBytes(packet(data));
        }
        final byte[] bytes = input.toByteArray();
        final ServerCounters counters = new ServerCounters();
        final EmbeddedChannel channel = new EmbeddedChannel(
            new LengthFieldBasedFrameDecoder(MAX_LENGTH, 0, 4, 0, 4),
            MilterEndpoint.newSession(new Decider(new ConsentFilter(FilterPolicy.DEFAULT), store.newLookup(),
                DecisionRecorder.NONE),
                settings, Runnable::run, counters));
        try
        {
            int at = 0;
            while (at < bytes.length && channel.isOpen())
            {
                final int piece = data.remainingBytes() > 0 ? data.consumeInt(1, bytes.length - at) : bytes.length - at;
                channel.writeInbound(Unpooled.wrappedBuffer(bytes, at, piece));
                at += piece;
            }
            channel.checkException();
            checkReplies(channel);
            if (!tooLong(bytes))
            {
                assertEquals(0, counters.milterErrors(MilterError.CONNECTION_ERROR),
                    "a packet reached the session's error path (an exception inside the decoder)");
            }
        }
        finally
        {
            channel.finishAndReleaseAll();
        }
    }

    private static byte[] packet(final FuzzedDataProvider data)
    {
        final int shape = data.consumeInt(0, 15);
        final byte command = shape == 15 ? data.consumeByte() : data.pickValue(COMMANDS);
        final ByteArrayOutputStream payload = new ByteArrayOutputStream();
        if (shape >= 13)
        {
            payload.writeBytes(data.consumeBytes(data.consumeInt(0, 64)));
        }
        else
        {
            switch (command)
            {
                case MilterProtocol.SMFIC_OPTNEG ->
                {
                    final ByteBuffer optneg = ByteBuffer.allocate(12);
                    optneg.putInt(data.consumeBoolean() ? MilterProtocol.VERSION : data.consumeInt());
                    optneg.putInt(data.consumeBoolean() ? 0x1FF : data.consumeInt());
                    optneg.putInt(data.consumeBoolean() ? 0x1FFFFF : data.consumeInt());
                    payload.write(optneg.array(), 0, data.consumeBoolean() ? 12 : data.consumeInt(0, 12));
                }
                case MilterProtocol.SMFIC_MACRO ->
                {
                    payload.write(data.pickValue(COMMANDS));
                    final int macros = data.consumeInt(0, 3);
                    for (int i = 0; i < macros; i++)
                    {
                        cString(payload, text(data, MACROS));
                        cString(payload, text(data, ADDRESSES));
                    }
                }
                case MilterProtocol.SMFIC_MAIL, MilterProtocol.SMFIC_RCPT ->
                {
                    cString(payload, text(data, ADDRESSES));
                    if (data.consumeBoolean())
                    {
                        cString(payload, text(data, new String[]{"SIZE=100", "BODY=8BITMIME"}));
                    }
                }
                case MilterProtocol.SMFIC_HEADER ->
                {
                    cString(payload, text(data, HEADERS));
                    cString(payload, text(data, HEADER_VALUES));
                }
                default -> payload.writeBytes(data.consumeBytes(data.consumeInt(0, 8)));
            }
        }
        final byte[] body = payload.toByteArray();
        final ByteBuffer packet = ByteBuffer.allocate(5 + body.length);
        packet.putInt(data.consumeInt(0, 15) == 0 ? data.consumeInt(0, 2 + body.length) : 1 + body.length);
        packet.put(command).put(body);
        return packet.array();
    }

    private static String text(final FuzzedDataProvider data, final String[] known)
    {
        return data.consumeBoolean() ? data.pickValue(known) : data.consumeString(40);
    }

    private static void cString(final ByteArrayOutputStream out, final String text)
    {
        out.writeBytes(text.getBytes(StandardCharsets.UTF_8));
        out.write(0);
    }

    /**
     * @return whether the framing meets a packet over the length limit, which the frame decoder refuses by
     * exception (the documented close).
     */
    private static boolean tooLong(final byte[] bytes)
    {
        final ByteBuffer in = ByteBuffer.wrap(bytes);
        int at = 0;
        while (bytes.length - at >= 4)
        {
            final long length = in.getInt(at) & 0xFFFF_FFFFL;
            if (length + 4 > MAX_LENGTH)
            {
                return true;
            }
            at += 4 + (int)length;
        }
        return false;
    }

    private static void checkReplies(final EmbeddedChannel channel)
    {
        final ByteArrayOutputStream all = new ByteArrayOutputStream();
        ByteBuf buf;
        while ((buf = channel.readOutbound()) != null)
        {
            final byte[] bytes = new byte[buf.readableBytes()];
            buf.readBytes(bytes);
            buf.release();
            all.writeBytes(bytes);
        }
        final ByteBuffer out = ByteBuffer.wrap(all.toByteArray());
        while (out.hasRemaining())
        {
            assertTrue(out.remaining() >= 5, "reply shorter than a packet header");
            final int length = out.getInt();
            assertTrue(length >= 1 && length <= out.remaining(), "reply length " + length);
            final byte command = out.get();
            boolean known = false;
            for (final byte reply : REPLIES)
            {
                known |= reply == command;
            }
            assertTrue(known, "unknown reply command " + (char)command);
            out.position(out.position() + length - 1);
        }
    }
}
