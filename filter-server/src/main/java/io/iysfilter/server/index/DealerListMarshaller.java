package io.iysfilter.server.index;

import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.hash.serialization.SizedReader;
import net.openhft.chronicle.hash.serialization.SizedWriter;
import net.openhft.chronicle.hash.serialization.impl.EnumMarshallable;

/**
 * How the dealer map stores a {@link DealerList}: the record's word0 (8 bytes), then 4 bytes per dealer, so a value
 * is 8 + 4 × dealers bytes and its count follows from its size. A list read from İYS's access-list call has a
 * 8-byte stamp between the two: a 0 where a dealer would be (no dealer is 0), then the second it was read
 * (unsigned 32-bit), so it is 16 + 4 × dealers bytes, and a list from the feed costs nothing more than before. Reads
 * fill the reader's own list: no allocation.
 */
final class DealerListMarshaller implements SizedReader<DealerList>, SizedWriter<DealerList>,
    EnumMarshallable<DealerListMarshaller>
{
    static final DealerListMarshaller INSTANCE = new DealerListMarshaller();

    private static final int WORD0_BYTES = 8;
    private static final int CODE_BYTES = 4;
    private static final int STAMP_BYTES = 8;

    private DealerListMarshaller()
    {
    }

    @Override
    public long size(final DealerList list)
    {
        return WORD0_BYTES + (list.fetchedMs() > 0 ? STAMP_BYTES : 0) + (long)CODE_BYTES * list.count();
    }

    @Override
    public void write(final Bytes<?> out, final long size, final DealerList list)
    {
        out.writeLong(list.recordWord0());
        if (list.fetchedMs() > 0)
        {
            out.writeInt(0);
            out.writeInt((int)(list.fetchedMs() / 1000));
        }
        for (int i = 0; i < list.count(); i++)
        {
            out.writeInt(list.code(i));
        }
    }

    @Override
    public DealerList read(final Bytes<?> in, final long size, final DealerList using)
    {
        final DealerList list = using != null ? using : new DealerList();
        if (size < WORD0_BYTES || (size - WORD0_BYTES) % CODE_BYTES != 0)
        {
            throw new IllegalStateException("dealer list of a size no list has: " + size + " bytes");
        }
        final long word0 = in.readLong();
        long codes = (size - WORD0_BYTES) / CODE_BYTES;
        long fetchedSec = 0;
        if (codes >= 2 && in.readInt(in.readPosition()) == 0)
        {
            // the stamp of a list read from İYS's access-list call: no dealer is 0
            in.readInt();
            fetchedSec = in.readInt() & 0xFFFF_FFFFL;
            codes -= 2;
        }
        if (codes > DealerList.MAX_DEALERS)
        {
            throw new IllegalStateException("dealer list of a size no list has: " + size + " bytes");
        }
        for (int i = 0; i < codes; i++)
        {
            list.code(i, in.readInt());
        }
        list.read(word0, (int)codes, fetchedSec);
        return list;
    }

    @Override
    public DealerListMarshaller readResolve()
    {
        return INSTANCE;
    }
}
