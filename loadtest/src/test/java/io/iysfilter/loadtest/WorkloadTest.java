package io.iysfilter.loadtest;

import io.iysfilter.protocol.codecs.Channel;
import io.iysfilter.protocol.codecs.MessageKind;
import io.iysfilter.protocol.codecs.Reason;
import io.iysfilter.protocol.codecs.RecipientType;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WorkloadTest
{
    @Test
    void sameSeedGivesTheSamePoolAndAnotherSeedAnother()
    {
        final Workload.Requests a = new Workload(42, 10_000).requests(1_000);
        final Workload.Requests b = new Workload(42, 10_000).requests(1_000);
        final Workload.Requests c = new Workload(43, 10_000).requests(1_000);
        int differences = 0;
        for (int i = 0; i < 1_000; i++)
        {
            assertEquals(a.recipient(i), b.recipient(i));
            assertEquals(a.expected(i), b.expected(i));
            differences += a.recipient(i).equals(c.recipient(i)) ? 0 : 1;
        }
        assertTrue(differences > 900, "another seed should give other requests: differences=" + differences);
    }

    @Test
    void everyRecipientHasItsOwnAddress()
    {
        final Workload workload = new Workload(6563, 50_000);
        final Set<String> seen = new HashSet<>();
        for (long i = 0; i < 100_000; i++)
        {
            final String address = workload.address(i);
            assertTrue(seen.add(address.startsWith("0") ? "+9" + address : address), "duplicate address " + address);
            if (workload.isEmail(i))
            {
                assertEquals(Channel.EPOSTA, workload.channel(i));
                assertTrue(address.matches("u[0-9a-z]+@[a-z.]+"), address);
            }
            else
            {
                assertTrue(address.matches("(\\+90|0)5\\d{9}"), address);
                assertNotEquals(Channel.EPOSTA, workload.channel(i));
            }
        }
    }

    @Test
    void theMixIsTheDocumentedOne()
    {
        final Workload workload = new Workload(6563, 100_000);
        final int count = 200_000;
        final Workload.Requests requests = workload.requests(count);
        int recorded = 0;
        int transactional = 0;
        int email = 0;
        int tacir = 0;
        int rejected = 0;
        for (int i = 0; i < count; i++)
        {
            final long index = requests.recipientIndex(i);
            recorded += workload.recorded(index) ? 1 : 0;
            rejected += workload.recorded(index) && workload.rejected(index) ? 1 : 0;
            transactional += requests.kind(i) == MessageKind.TRANSACTIONAL ? 1 : 0;
            email += requests.channel(i) == Channel.EPOSTA ? 1 : 0;
            tacir += requests.type(i) == RecipientType.TACIR ? 1 : 0;
        }
        assertEquals(0.85, recorded / (double)count, 0.01);
        assertEquals(0.20, rejected / (double)recorded, 0.01);
        assertEquals(0.02, transactional / (double)count, 0.003);
        assertEquals(0.25, email / (double)count, 0.01);
        assertEquals(0.10, tacir / (double)count, 0.01);
    }

    @Test
    void expectedAnswersFollowTheRules()
    {
        final Workload workload = new Workload(6563, 1_000);
        long onay = -1;
        long ret = -1;
        for (long i = 0; i < 1_000 && (onay < 0 || ret < 0); i++)
        {
            if (workload.rejected(i))
            {
                ret = i;
            }
            else
            {
                onay = i;
            }
        }
        assertEquals(Reason.CONSENT, workload.expected(onay, MessageKind.COMMERCIAL));
        assertEquals(Reason.REJECTED, workload.expected(ret, MessageKind.COMMERCIAL));
        assertEquals(Reason.NO_CONSENT, workload.expected(1_500, MessageKind.COMMERCIAL));
        assertEquals(Reason.EXEMPT, workload.expected(ret, MessageKind.TRANSACTIONAL));
        assertEquals(Reason.EXEMPT, workload.expected(1_500, MessageKind.TRANSACTIONAL));
    }

    @Test
    void redisKeysAreWhatRedisBenchmarkGenerates()
    {
        assertEquals("c:000000000123", Workload.redisKey(123));
        assertEquals("c:000000000000", Workload.redisKey(0));
        assertEquals("c:499999999999", Workload.redisKey(499_999_999_999L));
    }

    @Test
    void theEmailBrandIsWhatRedisBenchmarkGeneratesWithTheDocumentedMix()
    {
        assertEquals("u000000000123@example.com", Workload.emailAddress(123));
        assertEquals("e:000000000123", Workload.emailRedisKey(123));
        final Workload workload = new Workload(6563, 200_000);
        int recorded = 0;
        int rejected = 0;
        for (long i = 0; i < 200_000; i++)
        {
            final Reason expected = workload.emailExpected(i);
            recorded += workload.emailRecorded(i) ? 1 : 0;
            rejected += expected == Reason.REJECTED ? 1 : 0;
            assertEquals(workload.emailRecorded(i), expected != Reason.NO_CONSENT);
        }
        assertEquals(0.85, recorded / 200_000.0, 0.01);
        assertEquals(0.20, rejected / (double)recorded, 0.01);
        assertEquals(Reason.NO_CONSENT, workload.emailExpected(200_000), "past N: no record");
    }
}
