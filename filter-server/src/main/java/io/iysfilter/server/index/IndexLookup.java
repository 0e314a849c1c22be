package io.iysfilter.server.index;

import io.iysfilter.server.filter.BrandState;
import io.iysfilter.server.filter.Channel;
import io.iysfilter.server.filter.ConsentLookup;
import io.iysfilter.server.filter.ParsedRecipient;
import io.iysfilter.server.filter.RecipientType;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * One thread's read access to a {@link ConsentStore}: reusable key and value buffers, so a lookup allocates
 * nothing and takes no lock the writer holds beyond Chronicle's per-segment read lock.
 */
public final class IndexLookup implements ConsentLookup
{
    private final ConsentStore store;
    private final byte[] phoneKey = new byte[ConsentKeyDescriptor.PHONE_KEY_LENGTH];
    private final byte[] emailKey = new byte[ConsentKeyDescriptor.EMAIL_KEY_LENGTH];
    private final byte[] value = new byte[ConsentValueDescriptor.LENGTH];
    private final UnsafeBuffer phoneKeyBuffer = new UnsafeBuffer(phoneKey);
    private final UnsafeBuffer emailKeyBuffer = new UnsafeBuffer(emailKey);
    private final UnsafeBuffer valueBuffer = new UnsafeBuffer(value);
    private final Murmur3 hasher = new Murmur3();
    private boolean phone;

    IndexLookup(final ConsentStore store)
    {
        this.store = store;
    }

    @Override
    public BrandState brand(final long brandCode)
    {
        return store.brand(brandCode);
    }

    @Override
    public int status(
        final BrandState brand, final Channel channel, final RecipientType type, final ParsedRecipient recipient)
    {
        final BrandIndex index = (BrandIndex)brand;
        phone = recipient.kind() == ParsedRecipient.PHONE;
        if (phone)
        {
            ConsentKeyDescriptor.putPhoneKey(phoneKeyBuffer, channel, type, recipient.phoneDigits());
        }
        else
        {
            ConsentKeyDescriptor.putEmailKey(emailKeyBuffer, hasher, index.hashSeed(), type,
                recipient.emailBuffer(), 0, recipient.emailLength());
        }
        return index.status(this);
    }

    boolean isPhone()
    {
        return phone;
    }

    byte[] phoneKey()
    {
        return phoneKey;
    }

    byte[] emailKey()
    {
        return emailKey;
    }

    byte[] value()
    {
        return value;
    }

    long valueWord1(final byte[] found)
    {
        if (found == value)
        {
            return ConsentValueDescriptor.word1(valueBuffer);
        }
        return ConsentValueDescriptor.word1(new UnsafeBuffer(found));
    }
}
