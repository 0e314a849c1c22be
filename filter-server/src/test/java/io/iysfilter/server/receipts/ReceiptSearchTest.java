package io.iysfilter.server.receipts;

import io.iysfilter.server.decision.DecisionIds;
import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.Reason;
import io.iysfilter.server.decision.RecipientType;
import io.iysfilter.server.index.IndexKey;
import io.iysfilter.server.index.RecipientProtection;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The search finds exactly the receipts of one brand's recipient, across days and within a range, for phones under
 * each of their four keys and e-mails under each of their two, and nothing of another brand or recipient.
 */
class ReceiptSearchTest
{
    private static final long BRAND = 600001;
    private static final long OTHER_BRAND = 600002;
    private static final long DAY1 = Instant.parse("2026-11-28T09:00:00Z").toEpochMilli();
    private static final long DAY2 = Instant.parse("2026-11-29T23:59:59.999Z").toEpochMilli();
    private static final long DAY3 = Instant.parse("2026-11-30T00:00:00Z").toEpochMilli();
    private static final String PHONE = "+905321111111";
    private static final String OTHER_PHONE = "+905322222222";
    private static final String EMAIL = "ayse@example.com";

    private final MemoryReceipts journal = new MemoryReceipts(MemoryReceipts.FAKE_PROTECTION);
    private final ReceiptSearch search = new ReceiptSearch(journal, MemoryReceipts.FAKE_PROTECTION);

    private List<Long> ids(final String recipient, final long fromMs, final long toMs) throws Exception
    {
        final List<Long> ids = new ArrayList<>();
        search.search(new ReceiptQuery(BRAND, recipient, fromMs, toMs), found ->
        {
            assertEquals(BRAND, found.brandCode());
            ids.add(found.decisionId());
            return true;
        });
        return ids;
    }

    @Test
    void shouldFindEveryReceiptOfAPhoneAcrossDaysUnderEachOfItsFourKeysAndNoOther() throws Exception
    {
        final List<Long> expected = new ArrayList<>();
        expected.add(journal.add(DAY1, BRAND, Channel.MESAJ, RecipientType.BIREYSEL, PHONE, Reason.CONSENT, 1));
        journal.add(DAY1 + 1, BRAND, Channel.MESAJ, RecipientType.BIREYSEL, OTHER_PHONE, Reason.CONSENT, 1);
        journal.add(DAY1 + 2, OTHER_BRAND, Channel.MESAJ, RecipientType.BIREYSEL, PHONE, Reason.CONSENT, 1);
        expected.add(journal.add(DAY2, BRAND, Channel.ARAMA, RecipientType.TACIR, "05321111111", Reason.REJECTED,
            2));
        journal.add(DAY2 + 1, BRAND, Channel.EPOSTA, RecipientType.BIREYSEL, EMAIL, Reason.NO_CONSENT, 2);
        expected.add(journal.add(DAY3, BRAND, Channel.ARAMA, RecipientType.BIREYSEL, PHONE, Reason.NO_CONSENT, 3));
        expected.add(journal.add(DAY3 + 1, BRAND, Channel.MESAJ, RecipientType.TACIR, PHONE, Reason.NO_CONSENT, 3));
        journal.add(DAY3 + 2, OTHER_BRAND, Channel.ARAMA, RecipientType.TACIR, PHONE, Reason.NO_CONSENT, 3);

        assertEquals(expected, ids(PHONE, Long.MIN_VALUE, Long.MAX_VALUE));
        assertEquals(expected, ids("0532 111 11 11", Long.MIN_VALUE, Long.MAX_VALUE), "the same number written " +
            "another way");
    }

    @Test
    void shouldFindAnEmailUnderBothTypesAndNotItsPhoneNeighbours() throws Exception
    {
        final long bireysel = journal.add(DAY1, BRAND, Channel.EPOSTA, RecipientType.BIREYSEL, EMAIL,
            Reason.CONSENT, 1);
        journal.add(DAY1 + 1, BRAND, Channel.EPOSTA, RecipientType.BIREYSEL, "mehmet@example.com", Reason.CONSENT, 1);
        journal.add(DAY1 + 2, BRAND, Channel.MESAJ, RecipientType.BIREYSEL, PHONE, Reason.CONSENT, 1);
        journal.add(DAY2, OTHER_BRAND, Channel.EPOSTA, RecipientType.TACIR, EMAIL, Reason.CONSENT, 1);
        final long tacir = journal.add(DAY3, BRAND, Channel.EPOSTA, RecipientType.TACIR, "Ayse@Example.com",
            Reason.TACIR_NO_RECORD, 1);
        assertEquals(List.of(bireysel, tacir), ids(EMAIL, Long.MIN_VALUE, Long.MAX_VALUE));
    }

    @Test
    void shouldKeepToTheRangeFromIncludedToExcluded() throws Exception
    {
        final long first = journal.add(DAY1, BRAND, Channel.MESAJ, RecipientType.BIREYSEL, PHONE, Reason.CONSENT, 1);
        final long second = journal.add(DAY2, BRAND, Channel.MESAJ, RecipientType.BIREYSEL, PHONE, Reason.CONSENT,
            1);
        final long third = journal.add(DAY3, BRAND, Channel.MESAJ, RecipientType.BIREYSEL, PHONE, Reason.CONSENT, 1);
        assertEquals(List.of(second), ids(PHONE, DAY1 + 1, DAY3));
        assertEquals(List.of(first, second), ids(PHONE, DAY1, DAY2 + 1));
        assertEquals(List.of(third), ids(PHONE, DAY3, Long.MAX_VALUE));
        assertEquals(List.of(second), ids(PHONE, ReceiptQuery.parseBound("from", "2026-11-29", false),
            ReceiptQuery.parseBound("to", "2026-11-29", true)), "a day as both bounds is that whole day");
        assertEquals(List.of(), ids(PHONE, DAY1 + 1, DAY2));
    }

    @Test
    void shouldNameEachDaySearchedWithItsDigestAndDecodeTheReceiptsFields() throws Exception
    {
        final long id = journal.add(DAY1, BRAND, Channel.MESAJ, RecipientType.TACIR, PHONE, Reason.CONSENT, 7);
        journal.add(DAY2, BRAND, Channel.MESAJ, RecipientType.TACIR, OTHER_PHONE, Reason.CONSENT, 7);
        journal.close(Math.floorDiv(DAY1, FoundReceipt.DAY_MS), "ab".repeat(32));
        final List<FoundReceipt> found = new ArrayList<>();
        final List<ReceiptSearch.DaySearched> days = search.search(new ReceiptQuery(BRAND, PHONE, Long.MIN_VALUE,
            Long.MAX_VALUE), found::add);
        assertEquals(2, days.size(), "both days are named, the one without a match too");
        assertTrue(days.get(0).digest().closed());
        assertEquals("ab".repeat(32), days.get(0).digest().hex());
        assertEquals(1, days.get(0).matches());
        assertEquals(0, days.get(1).matches());
        final FoundReceipt receipt = found.get(0);
        assertEquals(id, receipt.decisionId());
        assertEquals(DAY1, receipt.timeMs());
        assertEquals(DAY1 - 5_000, receipt.asOfMs());
        assertEquals("client:test7", receipt.party());
        assertEquals("TACIR", receipt.recipientType());
        assertEquals("ONAY", receipt.recordStatus());
        assertEquals("a1b2c3d4e5f6", receipt.recordTxText());
        assertEquals("ALLOW", receipt.verdict());
        assertEquals("CONSENT", receipt.reasonName());
        final String json = new ReceiptResults(new ReceiptQuery(BRAND, PHONE, Long.MIN_VALUE, Long.MAX_VALUE),
            found, days).json();
        assertTrue(json.contains("\"decisionId\":\"" + DecisionIds.text(id) + "\""), json);
        assertTrue(json.contains("\"record\":{\"status\":\"ONAY\""), json);
        assertTrue(json.contains("\"root\":\"" + "ab".repeat(32) + "\""), json);
        assertTrue(!json.contains(PHONE) && !json.contains("5321111111"), "the answer never holds the recipient");
    }

    @Test
    void shouldFindUnderTheIndexsOwnKeyingAndNothingUnderAnotherKey() throws Exception
    {
        final RecipientProtection protection = RecipientProtection.of(IndexKey.generate());
        final MemoryReceipts keyed = new MemoryReceipts(protection::protect);
        final long sms = keyed.add(DAY1, BRAND, Channel.MESAJ, RecipientType.BIREYSEL, PHONE, Reason.CONSENT, 1);
        keyed.add(DAY1 + 1, BRAND, Channel.MESAJ, RecipientType.BIREYSEL, OTHER_PHONE, Reason.CONSENT, 1);
        final long call = keyed.add(DAY2, BRAND, Channel.ARAMA, RecipientType.TACIR, PHONE, Reason.CONSENT, 1);
        keyed.add(DAY2 + 1, OTHER_BRAND, Channel.ARAMA, RecipientType.TACIR, PHONE, Reason.CONSENT, 1);
        final long mail = keyed.add(DAY3, BRAND, Channel.EPOSTA, RecipientType.TACIR, EMAIL, Reason.CONSENT, 1);
        final List<Long> phone = new ArrayList<>();
        new ReceiptSearch(keyed, protection::protect).search(new ReceiptQuery(BRAND, PHONE, Long.MIN_VALUE,
            Long.MAX_VALUE), found -> phone.add(found.decisionId()));
        assertEquals(List.of(sms, call), phone);
        final List<Long> email = new ArrayList<>();
        new ReceiptSearch(keyed, protection::protect).search(new ReceiptQuery(BRAND, EMAIL, Long.MIN_VALUE,
            Long.MAX_VALUE), found -> email.add(found.decisionId()));
        assertEquals(List.of(mail), email);
        final List<Long> otherKey = new ArrayList<>();
        new ReceiptSearch(keyed, RecipientProtection.of(IndexKey.generate())::protect).search(new ReceiptQuery(BRAND,
            PHONE, Long.MIN_VALUE, Long.MAX_VALUE), found -> otherKey.add(found.decisionId()));
        assertEquals(List.of(), otherKey, "without the data directory's key nothing is found");
    }

    @Test
    void shouldRefuseARecipientThatIsNeitherAPhoneNorAnEmail()
    {
        final IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () ->
            ids("not a recipient", Long.MIN_VALUE, Long.MAX_VALUE));
        assertTrue(refused.getMessage().startsWith("recipient:"), refused.getMessage());
    }
}
