package io.iysfilter.server.milter;

import io.iysfilter.server.logging.Recipients;
import io.iysfilter.server.decision.Decider;
import io.iysfilter.server.decision.BrandState;
import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.DecisionIds;
import io.iysfilter.server.decision.Door;
import io.iysfilter.server.decision.MessageKind;
import io.iysfilter.server.decision.Reason;
import io.iysfilter.server.decision.RecipientType;
import io.iysfilter.server.logging.LogLimiter;
import io.iysfilter.server.metrics.ServerCounters;
import io.iysfilter.server.security.FailureLimiter;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.timeout.IdleStateEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;

/**
 * One MTA connection speaking the milter protocol (after a length-field frame decoder, so each message is one
 * packet: command byte then payload). It keeps what a decision needs — negotiated options, merged macros, the
 * sender, the recipients as received — and decides at end of message (or at RCPT time, when configured and the
 * brand follows from the envelope):
 * <ul>
 *   <li>recipients without consent are removed with SMFIR_DELRCPT (the address exactly as received), the others
 *   kept, and an {@code X-IYS-Filter} header summarises the decision;</li>
 *   <li>if no recipient may receive, the message is refused {@code 550 5.7.1};</li>
 *   <li>if the filter cannot decide (no brand mapping, STALE data, unknown brand, lookup error) it is tempfailed
 *   {@code 451 4.7.1}, so nothing is lost;</li>
 *   <li>mail from the null sender ({@code <>}: bounces, DSNs) is no commercial message: accepted unchecked.</li>
 * </ul>
 * Decisions run on the decision executor, never on the event loop; packets arriving meanwhile wait in order.
 * One audit line per message goes to the {@code iys.milter.audit} logger, since Postfix does not log removals.
 */
final class MilterSessionHandler extends SimpleChannelInboundHandler<ByteBuf>
{
    static final String AUDIT_LOGGER = "iys.milter.audit";
    static final String FILTER_HEADER = "X-IYS-Filter";
    static final String BRAND_HEADER = "X-IYS-Brand";
    static final String KIND_HEADER = "X-IYS-Kind";
    private static final Logger LOG = LoggerFactory.getLogger(MilterSessionHandler.class);
    private static final LogLimiter PROTOCOL_WARNINGS = LogLimiter.everyTenSeconds();
    private static final LogLimiter DECISION_ERRORS = LogLimiter.everyTenSeconds();
    private static final LogLimiter CONNECTION_ERRORS = LogLimiter.everyTenSeconds();
    private static final LogLimiter REMOVAL_REFUSED = LogLimiter.everyTenSeconds();
    private static final LogLimiter IDLE_CLOSES = LogLimiter.everyTenSeconds();
    private static final Logger AUDIT = LoggerFactory.getLogger(AUDIT_LOGGER);

    private final Decider decider;
    private final MilterSettings settings;
    private final Executor decisions;
    private final ServerCounters counters;
    private final Map<String, String> connectionMacros = new HashMap<>();
    private final Map<String, String> messageMacros = new HashMap<>();
    private final ArrayDeque<ByteBuf> backlog = new ArrayDeque<>();
    private int protocol;
    private int actions;
    private boolean negotiated;
    private boolean busy;
    private Message message = new Message();

    /** What one message collects before its decision. */
    static final class Message
    {
        final List<Recipient> recipients = new ArrayList<>();
        String sender;
        String brandHeader;
        String kindHeader;
    }

    /**
     * One envelope recipient.
     *
     * @param raw     argv[0] of its RCPT, exactly as received (echoed in DELRCPT).
     * @param address the address without angle brackets.
     */
    record Recipient(byte[] raw, String address)
    {
    }

    MilterSessionHandler(
        final Decider decider, final MilterSettings settings, final Executor decisions, final ServerCounters counters)
    {
        this.decider = decider;
        this.settings = settings;
        this.decisions = decisions;
        this.counters = counters;
    }

    @Override
    public void handlerAdded(final ChannelHandlerContext ctx)
    {
        // the MTA is the party that asks: the milter protocol names no client of ours
        decider.asker(Door.MILTER, Decider.partyName(null,
            FailureLimiter.sourceAddress(ctx.channel().remoteAddress())));
    }

    @Override
    protected void channelRead0(final ChannelHandlerContext ctx, final ByteBuf packet)
    {
        if (busy)
        {
            backlog.add(packet.retain());
            return;
        }
        onPacket(ctx, packet);
    }

    private void onPacket(final ChannelHandlerContext ctx, final ByteBuf packet)
    {
        if (!packet.isReadable())
        {
            // a packet of length 0 carries no command byte: a protocol error like an unknown command
            counters.onMilterError(ServerCounters.MilterError.UNKNOWN_COMMAND);
            final long suppressed = PROTOCOL_WARNINGS.tryAcquire(System.nanoTime());
            if (suppressed >= 0)
            {
                LOG.warn("closing milter connection on an empty packet: remote={}, suppressedSinceLast={}",
                    ctx.channel().remoteAddress(), suppressed);
            }
            ctx.close();
            return;
        }
        final byte command = packet.readByte();
        switch (command)
        {
            case MilterProtocol.SMFIC_OPTNEG -> onOptionNegotiation(ctx, packet);
            case MilterProtocol.SMFIC_MACRO -> onMacro(packet);
            case MilterProtocol.SMFIC_CONNECT -> continueUnless(ctx, MilterProtocol.SMFIP_NR_CONN);
            case MilterProtocol.SMFIC_HELO -> continueUnless(ctx, MilterProtocol.SMFIP_NR_HELO);
            case MilterProtocol.SMFIC_MAIL -> onMail(ctx, packet);
            case MilterProtocol.SMFIC_RCPT -> onRecipient(ctx, packet);
            case MilterProtocol.SMFIC_DATA -> continueUnless(ctx, MilterProtocol.SMFIP_NR_DATA);
            case MilterProtocol.SMFIC_HEADER -> onHeader(ctx, packet);
            case MilterProtocol.SMFIC_EOH -> continueUnless(ctx, MilterProtocol.SMFIP_NR_EOH);
            case MilterProtocol.SMFIC_BODY -> continueUnless(ctx, MilterProtocol.SMFIP_NR_BODY);
            case MilterProtocol.SMFIC_UNKNOWN -> continueUnless(ctx, MilterProtocol.SMFIP_NR_UNKN);
            case MilterProtocol.SMFIC_BODYEOB -> onEndOfMessage(ctx);
            case MilterProtocol.SMFIC_ABORT -> resetMessage();
            case MilterProtocol.SMFIC_QUIT_NC ->
            {
                resetMessage();
                connectionMacros.clear();
            }
            case MilterProtocol.SMFIC_QUIT -> ctx.close();
            default ->
            {
                counters.onMilterError(ServerCounters.MilterError.UNKNOWN_COMMAND);
                final long suppressed = PROTOCOL_WARNINGS.tryAcquire(System.nanoTime());
                if (suppressed >= 0)
                {
                    LOG.warn("closing milter connection on unknown command: remote={}, command=0x{}, " +
                        "suppressedSinceLast={}", ctx.channel().remoteAddress(), Integer.toHexString(command & 0xFF),
                        suppressed);
                }
                ctx.close();
            }
        }
    }

    private void onOptionNegotiation(final ChannelHandlerContext ctx, final ByteBuf packet)
    {
        if (packet.readableBytes() < 12)
        {
            counters.onMilterError(ServerCounters.MilterError.BAD_NEGOTIATION);
            final long suppressed = PROTOCOL_WARNINGS.tryAcquire(System.nanoTime());
            if (suppressed >= 0)
            {
                LOG.warn("closing milter connection: OPTNEG too short, remote={}, suppressedSinceLast={}",
                    ctx.channel().remoteAddress(), suppressed);
            }
            ctx.close();
            return;
        }
        final int version = packet.readInt();
        final int offeredActions = packet.readInt();
        final int offeredProtocol = packet.readInt();
        if (version < MilterProtocol.MIN_VERSION)
        {
            counters.onMilterError(ServerCounters.MilterError.BAD_NEGOTIATION);
            final long suppressed = PROTOCOL_WARNINGS.tryAcquire(System.nanoTime());
            if (suppressed >= 0)
            {
                LOG.warn("closing milter connection: MTA speaks milter version {} (expected: >= {}), remote={}, " +
                    "suppressedSinceLast={}", version, MilterProtocol.MIN_VERSION, ctx.channel().remoteAddress(),
                    suppressed);
            }
            ctx.close();
            return;
        }
        negotiated = true;
        actions = (MilterProtocol.SMFIF_ADDHDRS | MilterProtocol.SMFIF_DELRCPT) & offeredActions;
        protocol = MilterProtocol.WANTED_PROTOCOL & offeredProtocol;
        final ByteBuf reply = ctx.alloc().buffer(17);
        reply.writeInt(13).writeByte(MilterProtocol.SMFIR_OPTNEG)
            .writeInt(Math.min(version, MilterProtocol.VERSION)).writeInt(actions).writeInt(protocol);
        ctx.writeAndFlush(reply, ctx.voidPromise());
    }

    private void onMacro(final ByteBuf packet)
    {
        if (!packet.isReadable())
        {
            return;
        }
        final byte stage = packet.readByte();
        final Map<String, String> target = stage == MilterProtocol.SMFIC_CONNECT ||
            stage == MilterProtocol.SMFIC_HELO ? connectionMacros : messageMacros;
        while (packet.isReadable())
        {
            final String name = readString(packet);
            final String value = readString(packet);
            target.put(name.startsWith("{") && name.endsWith("}") ? name.substring(1, name.length() - 1) : name,
                value);
        }
    }

    private void onMail(final ChannelHandlerContext ctx, final ByteBuf packet)
    {
        final Map<String, String> mailMacros = new HashMap<>(messageMacros);
        resetMessage();
        messageMacros.putAll(mailMacros);
        message.sender = unbracket(readString(packet));
        reply(ctx, MilterProtocol.SMFIR_CONTINUE, null);
    }

    private void onRecipient(final ChannelHandlerContext ctx, final ByteBuf packet)
    {
        final byte[] raw = readBytes(packet);
        final Recipient recipient = new Recipient(raw, unbracket(new String(raw, StandardCharsets.UTF_8)));
        // the null sender's mail (bounces, DSNs) is not commercial: accepted at end of message, never refused here
        final MilterBrandMap.Mapping mapping = settings.rejectAtRcpt() && !"".equals(message.sender) ?
            settings.brandMap().resolve(messageMacros.get("auth_authen"), message.sender) : null;
        if (mapping == null)
        {
            message.recipients.add(recipient);
            reply(ctx, MilterProtocol.SMFIR_CONTINUE, null);
            return;
        }
        final MessageKind kind = mapping.kind() == null ? MessageKind.COMMERCIAL : mapping.kind();
        decideOffLoop(ctx, () ->
        {
            final long startNs = System.nanoTime();
            final BrandState brand = decider.brand(mapping.brandCode());
            final Reason reason = decider.decide(mapping.brandCode(), brand, Channel.EPOSTA,
                RecipientType.UNSPECIFIED, kind, recipient.address(), mapping.dealerCode(), System.currentTimeMillis());
            final String decisionId = DecisionIds.text(decider.lastDecisionId());
            counters.onDecision(ServerCounters.Endpoint.MILTER, reason);
            counters.onLatency(ServerCounters.Endpoint.MILTER, ServerCounters.RequestType.CHECK,
                System.nanoTime() - startNs);
            return () ->
            {
                if (reason.allows())
                {
                    message.recipients.add(recipient);
                    reply(ctx, MilterProtocol.SMFIR_CONTINUE, null);
                }
                else if (isUndecidable(reason))
                {
                    replyCode(ctx, "451 4.7.1 <" + recipient.address() + ">: IYS consent cannot be checked now (" +
                        reason + "), try again later");
                }
                else
                {
                    replyCode(ctx, "550 5.7.1 <" + recipient.address() + ">: no IYS consent (" + reason + ")");
                }
                AUDIT.info("rcpt queue={} brand={}{} kind={} recipient={} reason={} decisionId={}", queueId(),
                    mapping.brandCode(), mapping.dealerText(), kind, Recipients.mask(recipient.address()), reason,
                    decisionId);
            };
        });
    }

    private void onHeader(final ChannelHandlerContext ctx, final ByteBuf packet)
    {
        final String name = readString(packet);
        final String value = readString(packet).trim();
        if (BRAND_HEADER.equalsIgnoreCase(name))
        {
            message.brandHeader = value;
        }
        else if (KIND_HEADER.equalsIgnoreCase(name))
        {
            message.kindHeader = value;
        }
        continueUnless(ctx, MilterProtocol.SMFIP_NR_HDR);
    }

    private void onEndOfMessage(final ChannelHandlerContext ctx)
    {
        final Message decided = message;
        final String queueId = queueId();
        final String authUser = messageMacros.get("auth_authen");
        resetMessage();
        decideOffLoop(ctx, () ->
        {
            final MilterOutcome outcome = MilterOutcome.decide(decided, authUser, settings, decider, counters,
                System.currentTimeMillis());
            return () -> writeOutcome(ctx, decided, outcome, queueId);
        });
    }

    private void writeOutcome(
        final ChannelHandlerContext ctx, final Message decided, final MilterOutcome outcome, final String queueId)
    {
        if (outcome.replyCode() != null)
        {
            replyCode(ctx, outcome.replyCode());
        }
        else
        {
            final boolean canDelete = (actions & MilterProtocol.SMFIF_DELRCPT) != 0;
            if (!outcome.removed().isEmpty() && !canDelete)
            {
                if (!negotiated)
                {
                    counters.onMilterError(ServerCounters.MilterError.NO_NEGOTIATION);
                }
                final long suppressed = REMOVAL_REFUSED.tryAcquire(System.nanoTime());
                if (suppressed >= 0)
                {
                    LOG.error("the MTA does not allow recipient removal (SMFIF_DELRCPT{}): tempfailing, queue={}, " +
                        "remote={}, suppressedSinceLast={}", negotiated ? "" : ", no option negotiation", queueId,
                        ctx.channel().remoteAddress(), suppressed);
                }
                replyCode(ctx, "451 4.7.1 IYS consent filter cannot remove recipients here, try again later");
                return;
            }
            for (final Recipient removed : outcome.removed())
            {
                final ByteBuf payload = ctx.alloc().buffer(removed.raw().length + 1);
                payload.writeBytes(removed.raw()).writeByte(0);
                reply(ctx, MilterProtocol.SMFIR_DELRCPT, payload);
            }
            if ((actions & MilterProtocol.SMFIF_ADDHDRS) != 0)
            {
                final ByteBuf payload = ctx.alloc().buffer();
                payload.writeCharSequence(FILTER_HEADER, StandardCharsets.US_ASCII);
                payload.writeByte(0).writeCharSequence(outcome.header(), StandardCharsets.US_ASCII);
                payload.writeByte(0);
                reply(ctx, MilterProtocol.SMFIR_ADDHEADER, payload);
            }
            reply(ctx, MilterProtocol.SMFIR_ACCEPT, null);
        }
        AUDIT.info("message queue={} sender={} {}", queueId, decided.sender, outcome.audit());
    }

    /**
     * A decision task returns what to do with its result on the event loop. Until that has run, packets queue up in
     * arrival order and reading pauses.
     */
    private interface Decision
    {
        Runnable decide();
    }

    private void decideOffLoop(final ChannelHandlerContext ctx, final Decision decision)
    {
        busy = true;
        ctx.channel().config().setAutoRead(false);
        decisions.execute(() ->
        {
            Runnable result;
            try
            {
                result = decision.decide();
            }
            catch (final RuntimeException ex)
            {
                counters.onMilterError(ServerCounters.MilterError.DECISION_ERROR);
                final long suppressed = DECISION_ERRORS.tryAcquire(System.nanoTime());
                if (suppressed >= 0)
                {
                    LOG.error("milter decision failed, tempfailing: suppressedSinceLast={}", suppressed, ex);
                }
                result = () -> replyCode(ctx, "451 4.7.1 IYS consent filter error, try again later");
            }
            final Runnable onLoop = result;
            runOnLoop(ctx, () ->
            {
                if (ctx.channel().isActive())
                {
                    onLoop.run();
                }
                busy = false;
                ctx.channel().config().setAutoRead(true);
                drainBacklog(ctx);
            });
        });
    }

    private void drainBacklog(final ChannelHandlerContext ctx)
    {
        while (!busy && !backlog.isEmpty())
        {
            final ByteBuf packet = backlog.poll();
            try
            {
                onPacket(ctx, packet);
            }
            finally
            {
                packet.release();
            }
        }
    }

    private static void runOnLoop(final ChannelHandlerContext ctx, final Runnable task)
    {
        if (ctx.executor().inEventLoop())
        {
            task.run();
        }
        else
        {
            ctx.executor().execute(task);
        }
    }

    /**
     * @return whether the reason says the filter could not decide now (tempfail, the MTA retries), rather than that
     * the recipient may not receive the message: RECEIPT_UNAVAILABLE too, a consent that could not be recorded, which
     * removing the recipient would turn into a lost message.
     */
    static boolean isUndecidable(final Reason reason)
    {
        return reason == Reason.STALE || reason == Reason.UNKNOWN_BRAND || reason == Reason.LOOKUP_ERROR ||
            reason == Reason.INVALID_REQUEST || reason == Reason.INDEX_DAMAGED || reason == Reason.INDEX_VERIFYING ||
            reason == Reason.RECEIPT_UNAVAILABLE;
    }

    private void continueUnless(final ChannelHandlerContext ctx, final int noReplyBit)
    {
        if ((protocol & noReplyBit) == 0)
        {
            reply(ctx, MilterProtocol.SMFIR_CONTINUE, null);
        }
    }

    /**
     * A custom SMTP reply; Postfix drops a single {@code %}, so it is doubled.
     */
    private void replyCode(final ChannelHandlerContext ctx, final String text)
    {
        final ByteBuf payload = ctx.alloc().buffer(text.length() + 8);
        payload.writeCharSequence(text.replace("%", "%%"), StandardCharsets.US_ASCII);
        payload.writeByte(0);
        reply(ctx, MilterProtocol.SMFIR_REPLYCODE, payload);
    }

    /**
     * Write one response packet as one buffer (some MTAs read a response header with a single read).
     */
    private static void reply(final ChannelHandlerContext ctx, final byte command, final ByteBuf payload)
    {
        final int payloadLength = payload == null ? 0 : payload.readableBytes();
        final ByteBuf frame = ctx.alloc().buffer(5 + payloadLength);
        frame.writeInt(1 + payloadLength).writeByte(command);
        if (payload != null)
        {
            frame.writeBytes(payload);
            payload.release();
        }
        ctx.writeAndFlush(frame, ctx.voidPromise());
    }

    private void resetMessage()
    {
        message = new Message();
        messageMacros.clear();
    }

    private String queueId()
    {
        final String id = messageMacros.get("i");
        return id == null ? "?" : id;
    }

    private static String unbracket(final String address)
    {
        final String trimmed = address.trim();
        return trimmed.startsWith("<") && trimmed.endsWith(">") ? trimmed.substring(1, trimmed.length() - 1) :
            trimmed;
    }

    private static byte[] readBytes(final ByteBuf packet)
    {
        int end = packet.indexOf(packet.readerIndex(), packet.writerIndex(), (byte)0);
        if (end < 0)
        {
            end = packet.writerIndex();
        }
        final byte[] bytes = new byte[end - packet.readerIndex()];
        packet.readBytes(bytes);
        if (packet.isReadable())
        {
            packet.skipBytes(1);
        }
        return bytes;
    }

    private static String readString(final ByteBuf packet)
    {
        return new String(readBytes(packet), StandardCharsets.UTF_8);
    }

    @Override
    public void channelInactive(final ChannelHandlerContext ctx) throws Exception
    {
        while (!backlog.isEmpty())
        {
            backlog.poll().release();
        }
        super.channelInactive(ctx);
    }

    @Override
    public void userEventTriggered(final ChannelHandlerContext ctx, final Object event) throws Exception
    {
        if (event instanceof IdleStateEvent)
        {
            if (busy)
            {
                return; // waiting for a decision of ours, not for the MTA
            }
            counters.onMilterError(ServerCounters.MilterError.IDLE_TIMEOUT);
            final long suppressed = IDLE_CLOSES.tryAcquire(System.nanoTime());
            if (suppressed >= 0)
            {
                LOG.info("closing idle milter connection: remote={}, suppressedSinceLast={}",
                    ctx.channel().remoteAddress(), suppressed);
            }
            ctx.close();
            return;
        }
        super.userEventTriggered(ctx, event);
    }

    @Override
    public void exceptionCaught(final ChannelHandlerContext ctx, final Throwable cause)
    {
        counters.onMilterError(ServerCounters.MilterError.CONNECTION_ERROR);
        final long suppressed = CONNECTION_ERRORS.tryAcquire(System.nanoTime());
        if (suppressed >= 0)
        {
            LOG.warn("closing milter connection after error: remote={}, suppressedSinceLast={}",
                ctx.channel().remoteAddress(), suppressed, cause);
        }
        ctx.close();
    }

    static String asOf(final BrandState brand)
    {
        return brand == null || brand.asOfMs() == 0 ? "unknown" : Instant.ofEpochMilli(brand.asOfMs()).toString();
    }
}
