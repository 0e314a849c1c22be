package io.iysfilter.server.index;

import io.iysfilter.benchmarks.BenchmarkKey;
import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.ParsedRecipient;
import io.iysfilter.server.decision.RecipientParser;
import io.iysfilter.server.decision.RecipientType;
import net.openhft.chronicle.core.values.LongValue;
import net.openhft.chronicle.values.Values;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The key derivation of one lookup (docs/SECURITY.md, docs/PERFORMANCE.md): the keyed derivation of index format 2
 * ({@code phoneKeyed}: the packed word through Speck64/128; {@code emailKeyed}: SipHash-2-4-128 under the brand's
 * key), each beside the derivation of format 1 it replaced ({@code phonePlain}: the packed word alone;
 * {@code emailMurmur}: MurmurHash3 under a seed), measured in the same run. Run with {@code -prof gc} to see 0 B/op.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(2)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class KeyDerivationBenchmark
{
    private static final int ADDRESSES = 1024;
    private static final long FIRST_PHONE = 905_320_000_000L;

    private final ConsentKey key = new ConsentKey();
    private final ParsedRecipient phone = new ParsedRecipient();
    private final ParsedRecipient[] emails = new ParsedRecipient[ADDRESSES];
    private final LongValue plainPhoneKey = Values.newHeapInstance(LongValue.class);
    private final EmailKey plainEmailKey = Values.newHeapInstance(EmailKey.class);
    private final LegacyMurmur3 murmur = new LegacyMurmur3();
    private final long seed = 0x1234_5678_9ABC_DEF0L;
    private BrandKeys keys;
    private int next;

    @Setup
    public void setUp()
    {
        keys = BenchmarkKey.KEY.brandKeys(600_001);
        final RecipientParser parser = new RecipientParser();
        for (int i = 0; i < ADDRESSES; i++)
        {
            emails[i] = new ParsedRecipient();
            parser.parse(String.format(Locale.ROOT, "user%d.name@example.com.tr", i * 7919), emails[i]);
        }
    }

    /**
     * @return the phone key as format 2 stores it.
     */
    @Benchmark
    public long phoneKeyed()
    {
        key.set(keys, Channel.MESAJ, RecipientType.BIREYSEL, phone.phone(FIRST_PHONE + (next++ & 0xFFFFF)));
        return key.phoneKey().getValue();
    }

    /**
     * @return the phone key as format 1 stored it.
     */
    @Benchmark
    public long phonePlain()
    {
        final ParsedRecipient recipient = phone.phone(FIRST_PHONE + (next++ & 0xFFFFF));
        plainPhoneKey.setValue(ConsentKeyDescriptor.phoneKey(Channel.MESAJ, RecipientType.BIREYSEL,
            recipient.phoneDigits()));
        return plainPhoneKey.getValue();
    }

    /**
     * @return a word of the e-mail key as format 2 stores it.
     */
    @Benchmark
    public long emailKeyed()
    {
        key.set(keys, Channel.EPOSTA, RecipientType.BIREYSEL, emails[next++ & (ADDRESSES - 1)]);
        return key.emailKey().getLow();
    }

    /**
     * @return a word of the e-mail key as format 1 stored it.
     */
    @Benchmark
    public long emailMurmur()
    {
        final ParsedRecipient recipient = emails[next++ & (ADDRESSES - 1)];
        murmur.hash128(recipient.emailBuffer(), 0, recipient.emailLength(), seed);
        plainEmailKey.setHigh(murmur.h1());
        plainEmailKey.setLow(murmur.h2() & ~3L | RecipientType.BIREYSEL.code());
        return plainEmailKey.getLow();
    }
}
