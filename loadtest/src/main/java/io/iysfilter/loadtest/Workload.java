package io.iysfilter.loadtest;

import io.iysfilter.client.BatchEntry;
import io.iysfilter.protocol.codecs.Channel;
import io.iysfilter.protocol.codecs.MessageKind;
import io.iysfilter.protocol.codecs.Reason;
import io.iysfilter.protocol.codecs.RecipientType;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The seeded model behind every load run: which recipients a load-test brand has consents for, and a pre-generated
 * pool of requests about them, each with the answer the server must give.
 * <p>
 * Recipient {@code i} (0 ≤ i &lt; 2N) has attributes drawn from a hash of (seed, i): 25 % e-mail (EPOSTA), the
 * rest phones (80 % MESAJ, 20 % ARAMA); 10 % TACIR, the rest BIREYSEL; and, for i &lt; N only, a consent record
 * that is 80 % ONAY and 20 % RET. Recipients N..2N-1 have no record. Requests: 85 % ask about a recorded recipient,
 * 15 % about one without a record, 2 % of all are TRANSACTIONAL. Against a server on defaults (TACIR needs a record)
 * the expected answers are ALLOW CONSENT, DENY REJECTED, DENY NO_CONSENT and ALLOW EXEMPT.
 * <p>
 * Redis holds the same recipients under {@code c:%012d} of their index (the form {@code redis-benchmark}'s
 * {@code __rand_int__} generates), with a 16-byte value like an index entry; unrecorded ones are absent.
 * <p>
 * A second brand, {@link #EMAIL_BRAND}, is made for a C load generator that can only put a random number into a
 * command: its recipient {@code i} (0 ≤ i &lt; N) is the e-mail address {@code u%012d@example.com} of i, so that
 * {@code redis-benchmark}'s {@code u__rand_int__@example.com} names one of them. 85 % of them have a record (80 % ONAY,
 * 20 % RET), the rest none, all BIREYSEL; Redis holds the recorded ones under {@code e:%012d}.
 */
public final class Workload
{
    /** The İYS brand code load runs use. */
    public static final long BRAND = 800_001;
    /** Default seed. */
    public static final long SEED_DEFAULT = 6563;
    /** Default number of recorded recipients. */
    public static final long RECIPIENTS_DEFAULT = 1_000_000;
    /** Largest brand: phone numbers are unique for i &lt; 10^9 = 2N. */
    public static final long MAX_RECIPIENTS = 500_000_000;
    /** Redis key prefix. */
    public static final String REDIS_KEY_PREFIX = "c:";
    /** The brand of the e-mail recipients {@code u%012d@example.com}, for a C load generator. */
    public static final long EMAIL_BRAND = 800_002;
    /** Redis key prefix of {@link #EMAIL_BRAND}'s recipients. */
    public static final String EMAIL_KEY_PREFIX = "e:";
    /** The domain of {@link #EMAIL_BRAND}'s recipients. */
    public static final String EMAIL_DOMAIN = "example.com";

    private static final String[] DOMAINS = {
        "gmail.com", "hotmail.com", "yahoo.com", "outlook.com.tr", "example.com.tr"};
    private static final long PHONE_MULTIPLIER = 387_420_489L; // 3^18: coprime to 10^9, so i -> i*M mod 10^9 is 1:1
    private static final long EMAIL_MULTIPLIER = 0x5DEECE66DL; // odd: i -> i*M mod 2^40 is 1:1

    private final long seed;
    private final long recipients;

    /**
     * @param seed       the seed of every choice.
     * @param recipients N, recipients with a record.
     */
    public Workload(final long seed, final long recipients)
    {
        if (recipients < 1 || recipients > MAX_RECIPIENTS)
        {
            throw new IllegalArgumentException("recipients out of range: recipients=" + recipients +
                ", max=" + MAX_RECIPIENTS);
        }
        this.seed = seed;
        this.recipients = recipients;
    }

    /**
     * @return the seed.
     */
    public long seed()
    {
        return seed;
    }

    /**
     * @return N, recipients with a record.
     */
    public long recipients()
    {
        return recipients;
    }

    private long hash(final long index)
    {
        long h = seed * 0x9E3779B97F4A7C15L + index;
        h = (h ^ (h >>> 33)) * 0xFF51AFD7ED558CCDL;
        h = (h ^ (h >>> 33)) * 0xC4CEB9FE1A85EC53L;
        return h ^ (h >>> 33);
    }

    /**
     * @param index recipient index, 0 ≤ index &lt; 2N.
     * @return whether the recipient is an e-mail address.
     */
    public boolean isEmail(final long index)
    {
        return (hash(index) & 0xFF) < 64;
    }

    /**
     * @param index recipient index.
     * @return the channel the recipient's record (or request) is about.
     */
    public Channel channel(final long index)
    {
        if (isEmail(index))
        {
            return Channel.EPOSTA;
        }
        return ((hash(index) >>> 16) & 0xFF) < 205 ? Channel.MESAJ : Channel.ARAMA;
    }

    /**
     * @param index recipient index.
     * @return BIREYSEL or TACIR.
     */
    public RecipientType type(final long index)
    {
        return ((hash(index) >>> 8) & 0xFF) < 26 ? RecipientType.TACIR : RecipientType.BIREYSEL;
    }

    /**
     * @param index recipient index.
     * @return whether the recipient has a record.
     */
    public boolean recorded(final long index)
    {
        return index < recipients;
    }

    /**
     * @param index recipient index with a record.
     * @return whether the record is a RET (otherwise ONAY).
     */
    public boolean rejected(final long index)
    {
        return ((hash(index) >>> 24) & 0xFF) < 51;
    }

    /**
     * @param index recipient index, 0 ≤ index &lt; 2N.
     * @return the address: +90 5xx phone numbers (a tenth in national form 05xx) or e-mail addresses.
     */
    public String address(final long index)
    {
        if (isEmail(index))
        {
            final long local = (index * EMAIL_MULTIPLIER) & 0xFF_FFFF_FFFFL;
            return "u" + Long.toString(local, 36) + "@" + DOMAINS[(int)((hash(index) >>> 40) % DOMAINS.length)];
        }
        final long subscriber = Math.floorMod(index * PHONE_MULTIPLIER, 1_000_000_000L);
        final String national = Long.toString(5_000_000_000L + subscriber);
        return ((hash(index) >>> 48) & 0xF) == 0 ? "0" + national : "+90" + national;
    }

    /**
     * @param index recipient index.
     * @return its Redis key.
     */
    public static String redisKey(final long index)
    {
        return REDIS_KEY_PREFIX + twelveDigits(index);
    }

    /**
     * @param index e-mail recipient index, 0 ≤ index &lt; N.
     * @return its address in {@link #EMAIL_BRAND}: {@code u%012d@example.com}.
     */
    public static String emailAddress(final long index)
    {
        return "u" + twelveDigits(index) + "@" + EMAIL_DOMAIN;
    }

    /**
     * @param index e-mail recipient index.
     * @return its Redis key: {@code e:%012d}.
     */
    public static String emailRedisKey(final long index)
    {
        return EMAIL_KEY_PREFIX + twelveDigits(index);
    }

    /**
     * @param index e-mail recipient index, 0 ≤ index &lt; N.
     * @return whether it has a record in {@link #EMAIL_BRAND} (85 %); its status is {@link #rejected}'s.
     */
    public boolean emailRecorded(final long index)
    {
        return index >= 0 && index < recipients && ((hash(~index) >>> 32) & 0xFF) >= 38;
    }

    /**
     * @param index e-mail recipient index.
     * @return the reason a server on defaults must answer a COMMERCIAL BIREYSEL EPOSTA request about it in
     *         {@link #EMAIL_BRAND}.
     */
    public Reason emailExpected(final long index)
    {
        if (!emailRecorded(index))
        {
            return Reason.NO_CONSENT;
        }
        return rejected(index) ? Reason.REJECTED : Reason.CONSENT;
    }

    private static String twelveDigits(final long index)
    {
        final String digits = Long.toString(index);
        return "0".repeat(Math.max(0, 12 - digits.length())) + digits;
    }

    /**
     * Pre-generate a pool of requests; runs cycle through it.
     *
     * @param count how many.
     * @return the pool.
     */
    public Requests requests(final int count)
    {
        final SplittableRandom random = new SplittableRandom(seed ^ 0x10AD7E57L);
        final long[] index = new long[count];
        final MessageKind[] kind = new MessageKind[count];
        for (int i = 0; i < count; i++)
        {
            final double roll = random.nextDouble();
            index[i] = roll < 0.85 ? random.nextLong(recipients) : recipients + random.nextLong(recipients);
            kind[i] = random.nextDouble() < 0.02 ? MessageKind.TRANSACTIONAL : MessageKind.COMMERCIAL;
        }
        return new Requests(this, index, kind);
    }

    /**
     * @param index recipient index.
     * @param kind  message kind.
     * @return the reason a server on defaults must answer.
     */
    public Reason expected(final long index, final MessageKind kind)
    {
        if (kind == MessageKind.TRANSACTIONAL)
        {
            return Reason.EXEMPT;
        }
        if (!recorded(index))
        {
            return Reason.NO_CONSENT;
        }
        return rejected(index) ? Reason.REJECTED : Reason.CONSENT;
    }

    /**
     * A pool of requests with their expected answers. Batches are consecutive slices of it.
     */
    public static final class Requests
    {
        private final long[] index;
        private final BatchEntry[] entry;
        private final Reason[] expected;
        private final List<BatchEntry> entries;
        private final byte[][] redisKey;

        Requests(final Workload workload, final long[] index, final MessageKind[] kind)
        {
            final int count = index.length;
            this.index = index;
            entry = new BatchEntry[count];
            expected = new Reason[count];
            redisKey = new byte[count][];
            for (int i = 0; i < count; i++)
            {
                final long r = index[i];
                entry[i] = new BatchEntry(workload.channel(r), workload.type(r), kind[i], workload.address(r));
                expected[i] = workload.expected(r, kind[i]);
                redisKey[i] = Workload.redisKey(r).getBytes(StandardCharsets.US_ASCII);
            }
            entries = Arrays.asList(entry);
        }

        /**
         * @return how many requests.
         */
        public int size()
        {
            return index.length;
        }

        /**
         * @param i request.
         * @return its recipient index.
         */
        public long recipientIndex(final int i)
        {
            return index[i];
        }

        /**
         * @param i request.
         * @return its recipient address.
         */
        public String recipient(final int i)
        {
            return entry[i].recipient();
        }

        /**
         * @param i request.
         * @return its channel.
         */
        public Channel channel(final int i)
        {
            return entry[i].channel();
        }

        /**
         * @param i request.
         * @return its recipient type.
         */
        public RecipientType type(final int i)
        {
            return entry[i].recipientType();
        }

        /**
         * @param i request.
         * @return its message kind.
         */
        public MessageKind kind(final int i)
        {
            return entry[i].kind();
        }

        /**
         * @param i request.
         * @return the reason the server must answer.
         */
        public Reason expected(final int i)
        {
            return expected[i];
        }

        /**
         * @param first first request.
         * @param count how many.
         * @return the requests as CHECK_BATCH entries (a view, no copy).
         */
        public List<BatchEntry> batch(final int first, final int count)
        {
            return entries.subList(first, first + count);
        }

        /**
         * @param i request.
         * @return its Redis key, ASCII.
         */
        public byte[] redisKey(final int i)
        {
            return redisKey[i];
        }
    }
}
