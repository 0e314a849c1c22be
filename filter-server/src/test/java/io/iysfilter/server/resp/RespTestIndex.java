package io.iysfilter.server.resp;

import io.iysfilter.server.TestKeys;
import io.iysfilter.server.decision.BrandState;
import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.ConsentFilter;
import io.iysfilter.server.decision.Decider;
import io.iysfilter.server.decision.DecisionRecorder;
import io.iysfilter.server.decision.FilterPolicy;
import io.iysfilter.server.decision.MessageKind;
import io.iysfilter.server.decision.Reason;
import io.iysfilter.server.decision.RecipientType;
import io.iysfilter.server.index.ConsentChange;
import io.iysfilter.server.index.ConsentIndexWriter;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.iys.ConsentRecordParser;
import io.iysfilter.server.iys.IysTime;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The RESP tests' index (one brand: an ONAY that lists {@link #DEALER} in its retailerAccess, an ONAY then RET, on
 * MESAJ; the brand's dealer lists trusted, as {@code dealer-access-trust-feed} does), what it holds asked directly,
 * and commands encoded as client libraries send them.
 */
final class RespTestIndex
{
    static final long BRAND = 600_001;
    static final String CONSENTED = "+905321234567";
    static final String REJECTED = "+905329876543";
    static final String NO_RECORD = "+905320000000";
    /** The dealer the consent of {@link #CONSENTED} lists. */
    static final long DEALER = 22_233_344L;
    /** A dealer no record lists. */
    static final long OTHER_DEALER = 44_222_419L;
    /** The decision id of a reply when nothing records decisions ({@code DecisionRecorder.NONE}). */
    static final String NOT_RECORDED = "0000000000000000";

    private static ConsentStore store;

    private RespTestIndex()
    {
    }

    static void open(final Path dataDir) throws IOException
    {
        store = ConsentStore.open(dataDir, TestKeys.options(1_000).withDealerAccessTrusted(brand -> brand == BRAND));
        final ConsentIndexWriter writer = store.writer();
        writer.createBrand(BRAND);
        final ConsentRecordParser parser = new ConsentRecordParser();
        final ConsentChange change = new ConsentChange();
        final String now = IysTime.format(System.currentTimeMillis() / 1000 - 60);
        parser.parse(BRAND, now, "a".repeat(64), CONSENTED, "BIREYSEL", "MESAJ", "ONAY", now, "HS_WEB", "",
            "[" + DEALER + "]", change);
        writer.apply(change);
        parser.parse(BRAND, now, "b".repeat(64), REJECTED, "BIREYSEL", "MESAJ", "ONAY", now, "HS_WEB", change);
        writer.apply(change);
        parser.parse(BRAND, now, "c".repeat(64), REJECTED, "BIREYSEL", "MESAJ", "RET", now, "IYS_WEB", change);
        writer.apply(change);
    }

    static void close()
    {
        store.close();
        store = null;
    }

    static Decider decider()
    {
        return new Decider(new ConsentFilter(FilterPolicy.DEFAULT), store.newLookup(), DecisionRecorder.NONE);
    }

    /**
     * @return the reason the index gives, asked directly through a decider of its own: what a reply must carry.
     */
    static Reason truth(final long brand, final Channel channel, final String recipient)
    {
        return truth(brand, channel, recipient, ConsentFilter.NO_DEALER);
    }

    /**
     * @return the reason the index gives to a dealer, asked directly through a decider of its own.
     */
    static Reason truth(final long brand, final Channel channel, final String recipient, final long dealer)
    {
        final Decider decider = decider();
        final BrandState state = decider.brand(brand);
        return decider.decide(brand, state, channel, RecipientType.UNSPECIFIED, MessageKind.COMMERCIAL, recipient,
            dealer, System.currentTimeMillis());
    }

    static long asOf(final long brand)
    {
        final BrandState state = decider().brand(brand);
        return state == null ? 0 : state.asOfMs();
    }

    static byte[] command(final String... args)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(("*" + args.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
        for (final String arg : args)
        {
            final byte[] bytes = arg.getBytes(StandardCharsets.UTF_8);
            out.writeBytes(("$" + bytes.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.writeBytes(bytes);
            out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        return out.toByteArray();
    }

    static byte[] concat(final byte[]... parts)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (final byte[] part : parts)
        {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }
}
