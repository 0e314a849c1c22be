package io.iysfilter.server.replication;

import io.iysfilter.protocol.replication.ConsentRecordDecoder;
import io.iysfilter.protocol.replication.ConsentRecordEncoder;
import io.iysfilter.protocol.replication.CursorRecordDecoder;
import io.iysfilter.protocol.replication.CursorRecordEncoder;
import io.iysfilter.protocol.replication.KeyKind;
import io.iysfilter.protocol.replication.MessageHeaderDecoder;
import io.iysfilter.protocol.replication.MessageHeaderEncoder;
import io.iysfilter.protocol.replication.RecordKeyDecoder;
import io.iysfilter.protocol.replication.RecordKeyEncoder;
import io.iysfilter.protocol.replication.RecordKind;
import io.iysfilter.protocol.replication.Source;
import io.iysfilter.protocol.replication.WatermarkRecordDecoder;
import io.iysfilter.protocol.replication.WatermarkRecordEncoder;
import io.iysfilter.server.index.ConsentChange;
import io.iysfilter.server.index.ConsentValueDescriptor;
import io.iysfilter.server.index.DealerList;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The replication topic's records (schema 7702, docs/REPLICATION.md) to and from the bytes of a Kafka record's key
 * and value: encoded by the fetcher's publisher, decoded and checked by every replica. A record that does not decode
 * exactly (wrong schema, template or length, a key that does not match its value, an unknown kind or source, a
 * tombstone) is refused with the reason, for the caller to count and set aside; it never reaches the index.
 * <p>
 * One instance per thread: it reuses its buffers, and what {@link #decode} read stays until the next call.
 */
public final class TopicRecords
{
    /** A consent's newest change. */
    public static final int CONSENT = RecordKind.CONSENT.value();
    /** A brand's watermark. */
    public static final int WATERMARK = RecordKind.WATERMARK.value();
    /** A brand's feed cursor for one source. */
    public static final int CURSOR = RecordKind.CURSOR.value();

    /** The feed source of the brand's own records ({@code HS_*}). */
    public static final int SOURCE_HS = Source.HS.value();
    /** The feed source of the citizen's own records ({@code IYS_*}). */
    public static final int SOURCE_IYS = Source.IYS.value();

    /** Bytes of every key: the header and the RecordKey block. */
    public static final int KEY_LENGTH = MessageHeaderEncoder.ENCODED_LENGTH + RecordKeyEncoder.BLOCK_LENGTH;

    /** The first version whose consent records carry the dealer list; version 1 records still decode. */
    public static final int DEALERS_VERSION = 2;

    private static final int MAX_CURSOR = 1024;
    private static final int CONSENT_V1_BLOCK_LENGTH = 41;
    private static final int DEALER_ENTRY_LENGTH = 4;

    /** Large enough for a cursor record of the longest cursor and a consent record of the longest dealer list. */
    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[2048]);
    private final UnsafeBuffer keyBuffer = new UnsafeBuffer(new byte[0]);
    private final UnsafeBuffer valueBuffer = new UnsafeBuffer(new byte[0]);
    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
    private final RecordKeyEncoder keyEncoder = new RecordKeyEncoder();
    private final RecordKeyDecoder keyDecoder = new RecordKeyDecoder();
    private final ConsentRecordEncoder consentEncoder = new ConsentRecordEncoder();
    private final ConsentRecordDecoder consentDecoder = new ConsentRecordDecoder();
    private final WatermarkRecordEncoder watermarkEncoder = new WatermarkRecordEncoder();
    private final WatermarkRecordDecoder watermarkDecoder = new WatermarkRecordDecoder();
    private final CursorRecordEncoder cursorEncoder = new CursorRecordEncoder();
    private final CursorRecordDecoder cursorDecoder = new CursorRecordDecoder();

    private int kind;
    private long brand;
    private long keyBrand = -1;
    private int keyKind;
    private long key0;
    private long key1;
    private long word0;
    private long word1;
    private final int[] dealers = new int[DealerList.MAX_DEALERS];
    private int dealerCount;
    private long accessFetchedMs;
    private long watermarkMs;
    private int source;
    private long acceptedMs;
    private String cursor;

    /**
     * The partition of a brand's records: every record of one brand (its consents, watermark and cursors) goes to
     * one partition, so a replica that applied a brand's watermark or cursor applied every change published before
     * it.
     *
     * @param brand      İYS brand code.
     * @param partitions the topic's partition count.
     * @return 0 .. partitions - 1.
     */
    public static int partition(final long brand, final int partitions)
    {
        return (int)Long.remainderUnsigned(brand, partitions);
    }

    /**
     * @param source {@link #SOURCE_HS} or {@link #SOURCE_IYS}.
     * @return {@code HS} or {@code IYS}, the feed's names.
     */
    public static String sourceName(final int source)
    {
        if (source == SOURCE_HS)
        {
            return "HS";
        }
        if (source == SOURCE_IYS)
        {
            return "IYS";
        }
        throw new IllegalArgumentException("not a feed source: " + source);
    }

    /**
     * @param name {@code HS} or {@code IYS}.
     * @return {@link #SOURCE_HS} or {@link #SOURCE_IYS}.
     */
    public static int source(final String name)
    {
        return switch (name)
        {
            case "HS" -> SOURCE_HS;
            case "IYS" -> SOURCE_IYS;
            default -> throw new IllegalArgumentException("not a feed source: " + name);
        };
    }

    /**
     * @param brand   İYS brand code.
     * @param keyKind {@link ConsentChange#KEY_PHONE} or {@link ConsentChange#KEY_EMAIL}.
     * @param key0    the phone key, or the e-mail key's high word.
     * @param key1    0, or the e-mail key's low word.
     * @return a consent's key.
     */
    public byte[] consentKey(final long brand, final int keyKind, final long key0, final long key1)
    {
        return key(RecordKind.CONSENT, brand, keyKind(keyKind), Source.NONE, key0, keyKind == ConsentChange.KEY_PHONE ?
            0 : key1);
    }

    /**
     * @param change a change the writer applied, with its key ({@link ConsentChange#keyKind()} not NONE).
     * @return its key.
     */
    public byte[] consentKey(final ConsentChange change)
    {
        return consentKey(change.brandCode(), change.keyKind(), change.key0(), change.key1());
    }

    /**
     * @param change a change the writer applied, with its key, and the dealer list the writer stored with it
     *               ({@link ConsentChange#dealerCount()}, {@link ConsentChange#accessFetchedMs()}).
     * @return its value.
     */
    public byte[] consentValue(final ConsentChange change)
    {
        consentEncoder.wrapAndApplyHeader(buffer, 0, headerEncoder)
            .brand(change.brandCode())
            .keyKind(keyKind(change.keyKind()))
            .key0(change.key0())
            .key1(change.keyKind() == ConsentChange.KEY_PHONE ? 0 : change.key1())
            .word0(change.word0())
            .word1(change.word1())
            .accessFetchedMs(change.accessFetchedMs());
        final int count = change.dealerCount();
        final ConsentRecordEncoder.DealersEncoder group = consentEncoder.dealersCount(count);
        final int[] codes = change.dealerCodes();
        for (int i = 0; i < count; i++)
        {
            group.next().dealer(codes[i] & 0xFFFF_FFFFL);
        }
        return copy(MessageHeaderEncoder.ENCODED_LENGTH + consentEncoder.encodedLength());
    }

    /**
     * @param brand İYS brand code.
     * @return the key of the brand's watermark.
     */
    public byte[] watermarkKey(final long brand)
    {
        return key(RecordKind.WATERMARK, brand, KeyKind.NONE, Source.NONE, 0, 0);
    }

    /**
     * @param brand       İYS brand code.
     * @param watermarkMs epoch ms.
     * @return the value.
     */
    public byte[] watermarkValue(final long brand, final long watermarkMs)
    {
        watermarkEncoder.wrapAndApplyHeader(buffer, 0, headerEncoder).brand(brand).watermarkMs(watermarkMs);
        return copy(MessageHeaderEncoder.ENCODED_LENGTH + watermarkEncoder.encodedLength());
    }

    /**
     * @param brand  İYS brand code.
     * @param source {@link #SOURCE_HS} or {@link #SOURCE_IYS}.
     * @return the key of the brand's cursor for that source.
     */
    public byte[] cursorKey(final long brand, final int source)
    {
        return key(RecordKind.CURSOR, brand, KeyKind.NONE, source(source), 0, 0);
    }

    /**
     * @param brand      İYS brand code.
     * @param source     {@link #SOURCE_HS} or {@link #SOURCE_IYS}.
     * @param cursor     İYS's {@code after} value, ASCII, at most 1,024 characters.
     * @param acceptedMs when İYS last answered the source's end from it, or 0.
     * @return the value.
     */
    public byte[] cursorValue(final long brand, final int source, final String cursor, final long acceptedMs)
    {
        if (cursor.length() > MAX_CURSOR || !isAscii(cursor))
        {
            throw new IllegalArgumentException("a cursor is ASCII of at most " + MAX_CURSOR + " characters");
        }
        cursorEncoder.wrapAndApplyHeader(buffer, 0, headerEncoder)
            .brand(brand)
            .source(source(source))
            .acceptedMs(acceptedMs)
            .cursor(cursor);
        return copy(MessageHeaderEncoder.ENCODED_LENGTH + cursorEncoder.encodedLength());
    }

    /**
     * Decode and check one record.
     *
     * @param key   the Kafka record's key.
     * @param value the Kafka record's value.
     * @return {@link #CONSENT}, {@link #WATERMARK} or {@link #CURSOR}; the fields read are this object's until the
     * next call.
     * @throws IllegalArgumentException naming what is wrong, when the record is not one this version understands
     * exactly.
     */
    public int decode(final byte[] key, final byte[] value)
    {
        keyBrand = -1;
        if (key == null || key.length != KEY_LENGTH)
        {
            throw new IllegalArgumentException("key is not " + KEY_LENGTH + " bytes: " +
                (key == null ? "none" : key.length));
        }
        if (value == null)
        {
            throw new IllegalArgumentException("a tombstone: the topic holds no deletes");
        }
        keyBuffer.wrap(key);
        header(keyBuffer, key.length, RecordKeyDecoder.TEMPLATE_ID, RecordKeyDecoder.BLOCK_LENGTH);
        keyDecoder.wrapAndApplyHeader(keyBuffer, 0, headerDecoder);
        final RecordKind recordKind = keyDecoder.kind();
        brand = keyDecoder.brand();
        keyBrand = brand;
        valueBuffer.wrap(value);
        switch (recordKind)
        {
            case CONSENT -> decodeConsent(value.length);
            case WATERMARK -> decodeWatermark(value.length);
            case CURSOR -> decodeCursor(value.length);
            default -> throw new IllegalArgumentException("unknown record kind: " + keyDecoder.kindRaw());
        }
        kind = recordKind.value();
        return kind;
    }

    /**
     * Fill a change with the consent record last decoded.
     *
     * @param change to fill, keyed.
     * @return the change.
     */
    public ConsentChange fill(final ConsentChange change)
    {
        if (kind != CONSENT)
        {
            throw new IllegalStateException("the record last decoded is not a consent");
        }
        change.setKeyed(brand, keyKind, key0, key1, word0, word1);
        if (accessFetchedMs > 0)
        {
            change.dealerAccess(dealers, dealerCount, accessFetchedMs);
        }
        else if (dealerCount > 0)
        {
            change.dealers(dealers, dealerCount);
        }
        return change;
    }

    /**
     * @return the kind last decoded.
     */
    public int kind()
    {
        return kind;
    }

    /**
     * @return the brand the key of the record last given to {@link #decode} named, when its key decoded that far
     * (also when its value or kind did not decode), else -1.
     */
    public long keyBrand()
    {
        return keyBrand;
    }

    /**
     * @return the brand of the record last decoded.
     */
    public long brand()
    {
        return brand;
    }

    /**
     * @return a consent's key kind ({@link ConsentChange#KEY_PHONE} or {@link ConsentChange#KEY_EMAIL}).
     */
    public int keyKind()
    {
        return keyKind;
    }

    /**
     * @return a consent's key0.
     */
    public long key0()
    {
        return key0;
    }

    /**
     * @return a consent's key1.
     */
    public long key1()
    {
        return key1;
    }

    /**
     * @return a consent's value word0.
     */
    public long word0()
    {
        return word0;
    }

    /**
     * @return a consent's value word1.
     */
    public long word1()
    {
        return word1;
    }

    /**
     * @return how many dealers the consent record last decoded lists (0 for a version 1 record).
     */
    public int dealerCount()
    {
        return dealerCount;
    }

    /**
     * @param index 0..{@link #dealerCount()} - 1.
     * @return that dealer's İYS number.
     */
    public long dealer(final int index)
    {
        return dealers[index] & 0xFFFF_FFFFL;
    }

    /**
     * @return when the consent record's list was read from İYS's access-list call, epoch ms, or 0.
     */
    public long accessFetchedMs()
    {
        return accessFetchedMs;
    }

    /**
     * @return a watermark's time, epoch ms.
     */
    public long watermarkMs()
    {
        return watermarkMs;
    }

    /**
     * @return a cursor's source, {@link #SOURCE_HS} or {@link #SOURCE_IYS}.
     */
    public int source()
    {
        return source;
    }

    /**
     * @return a cursor's İYS {@code after} value.
     */
    public String cursor()
    {
        return cursor;
    }

    /**
     * @return a cursor's accepted time, epoch ms, or 0.
     */
    public long acceptedMs()
    {
        return acceptedMs;
    }

    private void decodeConsent(final int length)
    {
        dealerCount = 0;
        accessFetchedMs = 0;
        final boolean withDealers = consentHeader(length);
        consentDecoder.wrapAndApplyHeader(valueBuffer, 0, headerDecoder);
        keyKind = keyKind(consentDecoder.keyKind());
        key0 = consentDecoder.key0();
        key1 = consentDecoder.key1();
        word0 = consentDecoder.word0();
        word1 = consentDecoder.word1();
        if (keyKind == ConsentChange.KEY_PHONE && key1 != 0)
        {
            throw new IllegalArgumentException("a phone key with a second word");
        }
        if (consentDecoder.brand() != brand || keyDecoder.keyKind() != consentDecoder.keyKind() ||
            keyDecoder.key0() != key0 || keyDecoder.key1() != key1 || keyDecoder.source() != Source.NONE)
        {
            throw new IllegalArgumentException("the key does not name the consent its value holds");
        }
        if (withDealers)
        {
            // last: the group follows every field of the block
            decodeDealers(length);
        }
    }

    /**
     * A consent record's header: this version's (with the dealer list) or version 1's (without), each of its own
     * block length.
     *
     * @return whether the record carries the dealer group.
     */
    private boolean consentHeader(final int length)
    {
        if (valueBuffer.capacity() < MessageHeaderDecoder.ENCODED_LENGTH)
        {
            throw new IllegalArgumentException("shorter than a header: " + valueBuffer.capacity() + " bytes");
        }
        headerDecoder.wrap(valueBuffer, 0);
        if (headerDecoder.schemaId() == MessageHeaderDecoder.SCHEMA_ID && headerDecoder.version() == 1)
        {
            if (headerDecoder.templateId() != ConsentRecordDecoder.TEMPLATE_ID ||
                headerDecoder.blockLength() != CONSENT_V1_BLOCK_LENGTH)
            {
                throw new IllegalArgumentException("template " + headerDecoder.templateId() + " of block length " +
                    headerDecoder.blockLength() + " where " + ConsentRecordDecoder.TEMPLATE_ID + " of " +
                    CONSENT_V1_BLOCK_LENGTH + " belongs (version 1)");
            }
            if (length != MessageHeaderDecoder.ENCODED_LENGTH + CONSENT_V1_BLOCK_LENGTH)
            {
                throw new IllegalArgumentException("a version 1 record of " + length + " bytes where " +
                    (MessageHeaderDecoder.ENCODED_LENGTH + CONSENT_V1_BLOCK_LENGTH) + " belong");
            }
            return false;
        }
        header(valueBuffer, -1, ConsentRecordDecoder.TEMPLATE_ID, ConsentRecordDecoder.BLOCK_LENGTH);
        final int fixed = MessageHeaderDecoder.ENCODED_LENGTH + ConsentRecordDecoder.BLOCK_LENGTH +
            ConsentRecordDecoder.DealersDecoder.HEADER_SIZE;
        if (length < fixed)
        {
            throw new IllegalArgumentException("a consent record of " + length + " bytes, shorter than " + fixed);
        }
        return true;
    }

    /**
     * The dealer group of a consent record: exactly as long as the record, at most 100 dealers, none of them 0.
     */
    private void decodeDealers(final int length)
    {
        final int groupAt = MessageHeaderDecoder.ENCODED_LENGTH + ConsentRecordDecoder.BLOCK_LENGTH;
        final int entryLength = valueBuffer.getShort(groupAt, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
        final int count = valueBuffer.getShort(groupAt + 2, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
        if (entryLength != DEALER_ENTRY_LENGTH || count > DealerList.MAX_DEALERS ||
            length != groupAt + ConsentRecordDecoder.DealersDecoder.HEADER_SIZE + count * DEALER_ENTRY_LENGTH)
        {
            throw new IllegalArgumentException("a dealer group of " + count + " entries of " + entryLength +
                " bytes in a record of " + length);
        }
        accessFetchedMs = consentDecoder.accessFetchedMs();
        if (accessFetchedMs != 0 && !DealerList.storableReadTime(accessFetchedMs))
        {
            throw new IllegalArgumentException("an access list read time the dealer map cannot hold: " +
                accessFetchedMs);
        }
        if (accessFetchedMs != 0 && (word1 & ConsentValueDescriptor.FLAG_DEALERS) == 0)
        {
            // a fetcher flags every record it stores an access list for; filled, this one would flag the replica's
            throw new IllegalArgumentException("an access list on a record not flagged as carrying one");
        }
        final ConsentRecordDecoder.DealersDecoder group = consentDecoder.dealers();
        int i = 0;
        while (group.hasNext())
        {
            final long dealer = group.next().dealer();
            if (dealer == 0)
            {
                throw new IllegalArgumentException("dealer number 0 in a dealer list");
            }
            dealers[i++] = (int)dealer;
        }
        dealerCount = i;
        if (accessFetchedMs == 0 && dealerCount > 0 &&
            (word1 & ConsentValueDescriptor.FLAG_DEALERS) == 0)
        {
            throw new IllegalArgumentException("a dealer list on a record not flagged as carrying one");
        }
    }

    private void decodeWatermark(final int length)
    {
        header(valueBuffer, length, WatermarkRecordDecoder.TEMPLATE_ID, WatermarkRecordDecoder.BLOCK_LENGTH);
        watermarkDecoder.wrapAndApplyHeader(valueBuffer, 0, headerDecoder);
        watermarkMs = watermarkDecoder.watermarkMs();
        if (watermarkDecoder.brand() != brand || !plainKey())
        {
            throw new IllegalArgumentException("the key does not name the watermark its value holds");
        }
        if (watermarkMs <= 0)
        {
            throw new IllegalArgumentException("a watermark before 1970: " + watermarkMs);
        }
    }

    private void decodeCursor(final int length)
    {
        final int fixed = MessageHeaderDecoder.ENCODED_LENGTH + CursorRecordDecoder.BLOCK_LENGTH +
            CursorRecordDecoder.cursorHeaderLength();
        if (length < fixed)
        {
            throw new IllegalArgumentException("a cursor record of " + length + " bytes");
        }
        header(valueBuffer, -1, CursorRecordDecoder.TEMPLATE_ID, CursorRecordDecoder.BLOCK_LENGTH);
        cursorDecoder.wrapAndApplyHeader(valueBuffer, 0, headerDecoder);
        final Source decodedSource = cursorDecoder.source();
        if (decodedSource != Source.HS && decodedSource != Source.IYS)
        {
            throw new IllegalArgumentException("unknown cursor source: " + cursorDecoder.sourceRaw());
        }
        source = decodedSource.value();
        acceptedMs = cursorDecoder.acceptedMs();
        final int cursorLength = cursorDecoder.cursorLength();
        if (cursorLength > MAX_CURSOR || fixed + cursorLength != length)
        {
            throw new IllegalArgumentException("a cursor of " + cursorLength + " bytes in a record of " + length);
        }
        cursor = cursorDecoder.cursor();
        if (!isAscii(cursor))
        {
            throw new IllegalArgumentException("a cursor that is not ASCII");
        }
        if (cursorDecoder.brand() != brand || keyDecoder.keyKind() != KeyKind.NONE ||
            keyDecoder.source() != decodedSource || keyDecoder.key0() != 0 || keyDecoder.key1() != 0)
        {
            throw new IllegalArgumentException("the key does not name the cursor its value holds");
        }
    }

    private boolean plainKey()
    {
        return keyDecoder.keyKind() == KeyKind.NONE && keyDecoder.source() == Source.NONE &&
            keyDecoder.key0() == 0 && keyDecoder.key1() == 0;
    }

    private void header(final UnsafeBuffer bytes, final int length, final int templateId, final int blockLength)
    {
        if (bytes.capacity() < MessageHeaderDecoder.ENCODED_LENGTH)
        {
            throw new IllegalArgumentException("shorter than a header: " + bytes.capacity() + " bytes");
        }
        headerDecoder.wrap(bytes, 0);
        if (headerDecoder.schemaId() != MessageHeaderDecoder.SCHEMA_ID)
        {
            throw new IllegalArgumentException("not schema " + MessageHeaderDecoder.SCHEMA_ID + ": " +
                headerDecoder.schemaId());
        }
        if (headerDecoder.version() < 1 || headerDecoder.version() > MessageHeaderDecoder.SCHEMA_VERSION)
        {
            // version 2 changed the consent record only (consentHeader): every other message reads as in version 1
            throw new IllegalArgumentException("schema version " + headerDecoder.version() + ", this server reads " +
                "1.." + MessageHeaderDecoder.SCHEMA_VERSION);
        }
        if (headerDecoder.templateId() != templateId || headerDecoder.blockLength() != blockLength)
        {
            throw new IllegalArgumentException("template " + headerDecoder.templateId() + " of block length " +
                headerDecoder.blockLength() + " where " + templateId + " of " + blockLength + " belongs");
        }
        if (length >= 0 && length != MessageHeaderDecoder.ENCODED_LENGTH + blockLength)
        {
            throw new IllegalArgumentException("a record of " + length + " bytes where " +
                (MessageHeaderDecoder.ENCODED_LENGTH + blockLength) + " belong");
        }
    }

    private byte[] key(
        final RecordKind recordKind,
        final long brand,
        final KeyKind kindOfKey,
        final Source keySource,
        final long key0,
        final long key1)
    {
        keyEncoder.wrapAndApplyHeader(buffer, 0, headerEncoder)
            .kind(recordKind)
            .brand(brand)
            .keyKind(kindOfKey)
            .source(keySource)
            .key0(key0)
            .key1(key1);
        return copy(KEY_LENGTH);
    }

    private byte[] copy(final int length)
    {
        return Arrays.copyOf(buffer.byteArray(), length);
    }

    private static KeyKind keyKind(final int keyKind)
    {
        return switch (keyKind)
        {
            case ConsentChange.KEY_PHONE -> KeyKind.PHONE;
            case ConsentChange.KEY_EMAIL -> KeyKind.EMAIL;
            default -> throw new IllegalArgumentException("a consent needs a phone or e-mail key: " + keyKind);
        };
    }

    private static int keyKind(final KeyKind keyKind)
    {
        return switch (keyKind)
        {
            case PHONE -> ConsentChange.KEY_PHONE;
            case EMAIL -> ConsentChange.KEY_EMAIL;
            default -> throw new IllegalArgumentException("a consent record without a phone or e-mail key");
        };
    }

    private static Source source(final int source)
    {
        if (source == SOURCE_HS)
        {
            return Source.HS;
        }
        if (source == SOURCE_IYS)
        {
            return Source.IYS;
        }
        throw new IllegalArgumentException("not a feed source: " + source);
    }

    private static boolean isAscii(final String text)
    {
        for (int i = 0; i < text.length(); i++)
        {
            if (text.charAt(i) > 0x7f)
            {
                return false;
            }
        }
        return true;
    }
}
