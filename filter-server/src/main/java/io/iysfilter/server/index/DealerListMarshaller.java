package io.iysfilter.server.index;

import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.hash.serialization.SizedReader;
import net.openhft.chronicle.hash.serialization.SizedWriter;
import net.openhft.chronicle.hash.serialization.impl.EnumMarshallable;

/**
 * How the dealer map stores a {@link DealerList}: the record's word0 (8 bytes), then 4 bytes per dealer, so a value
 * is 8 + 4 × dealers bytes and its count follows from its size. Reads fill the reader's own list: no allocation.
 */
final class DealerListMarshaller implements SizedReader<DealerList>, SizedWriter<DealerList>,
    EnumMarshallable<DealerListMarshaller>
{
    static final DealerListMarshaller INSTANCE = new DealerListMarshaller();

    private static final int WORD0_BYTES = 8;
    private static final int CODE_BYTES = 4;

    private DealerListMarshaller()
    {
    }

    @Override
    public long size(final DealerList list)
    {
        return WORD0_BYTES + (long)CODE_BYTES * list.count();
    }

    @Override
    public void write(final Bytes<?> out, final long size, final DealerList list)
    {
        out.writeLong(list.recordWord0());
        for (int i = 0; i < list.count(); i++)
        {
            out.writeInt(list.code(i));
        }
    }

    @Override
    public DealerList read(final Bytes<?> in, final long size, final DealerList using)
    {
        final DealerList list = using != null ? using : new DealerList();
        final long codes = (size - WORD0_BYTES) / CODE_BYTES;
        if (size < WORD0_BYTES || codes > DealerList.MAX_DEALERS || (size - WORD0_BYTES) % CODE_BYTES != 0)
        {
            throw new IllegalStateException("dealer list of a size no list has: " + size + " bytes");
        }
        final long word0 = in.readLong();
        for (int i = 0; i < codes; i++)
        {
            list.code(i, in.readInt());
        }
        list.read(word0, (int)codes);
        return list;
    }

    @Override
    public DealerListMarshaller readResolve()
    {
        return INSTANCE;
    }
}
