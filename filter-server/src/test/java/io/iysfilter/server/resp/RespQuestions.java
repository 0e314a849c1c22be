package io.iysfilter.server.resp;

import io.iysfilter.client.CheckResult;
import io.iysfilter.client.FilterClient;
import io.iysfilter.protocol.codecs.Channel;
import io.iysfilter.protocol.codecs.MessageKind;
import io.iysfilter.protocol.codecs.RecipientType;
import io.iysfilter.server.Fixtures;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Questions about {@link Fixtures}' data set with the answer its records call for, one of each kind of decision and
 * the bulk phones, for the tests that ask them through clients in other languages.
 */
final class RespQuestions
{
    /** A brand the data set does not hold. */
    static final long UNKNOWN_BRAND = 999_999;
    /** A phone the fresh brand holds no record of. */
    static final String NO_RECORD = "+905329999999";

    private RespQuestions()
    {
    }

    /**
     * @param brand     brand code.
     * @param channel   channel as sent (any case).
     * @param recipient recipient as sent.
     * @param type      TYPE as sent, or null for none.
     * @param kind      KIND as sent, or null for none.
     * @param verdict   the verdict the records call for.
     * @param reason    the reason they call for.
     */
    record Question(long brand, String channel, String recipient, String type, String kind, String verdict,
        String reason)
    {
        /**
         * @return the command's arguments after its name, as a client sends them.
         */
        List<String> arguments()
        {
            final List<String> arguments = new ArrayList<>(List.of(Long.toString(brand), channel, recipient));
            if (type != null)
            {
                arguments.add("TYPE");
                arguments.add(type);
            }
            if (kind != null)
            {
                arguments.add("KIND");
                arguments.add(kind);
            }
            return arguments;
        }

        /**
         * @param client a binary client of the same server.
         * @return the as-of the binary protocol answers for the same question (the decision checked equal too).
         */
        long asOfFrom(final FilterClient client)
        {
            final CheckResult result = client.checkBlocking(brand, Channel.valueOf(channel.toUpperCase(Locale.ROOT)),
                type == null ? RecipientType.UNSPECIFIED : RecipientType.valueOf(type),
                kind == null ? MessageKind.COMMERCIAL : MessageKind.valueOf(kind), recipient);
            assertEquals(verdict + " " + reason, result.verdict() + " " + result.reason(),
                "the binary protocol's answer to " + this);
            return result.asOfMs();
        }
    }

    /**
     * @return one question of each kind of decision, some written the way people write them (spaces, case).
     */
    static List<Question> kinds()
    {
        final long brand = Fixtures.BRAND;
        return List.of(
            new Question(brand, "MESAJ", Fixtures.CONSENTED, null, null, "ALLOW", "CONSENT"),
            new Question(brand, "mesaj", "0532 111 11 11", null, null, "ALLOW", "CONSENT"),
            new Question(brand, "MESAJ", Fixtures.REJECTED, null, null, "DENY", "REJECTED"),
            new Question(brand, "EPOSTA", "Ayse@Example.com.tr", null, null, "ALLOW", "CONSENT"),
            new Question(brand, "ARAMA", Fixtures.TACIR, "TACIR", null, "ALLOW", "CONSENT"),
            new Question(brand, "MESAJ", NO_RECORD, null, null, "DENY", "NO_CONSENT"),
            new Question(brand, "MESAJ", NO_RECORD, "BIREYSEL", "TRANSACTIONAL", "ALLOW", "EXEMPT"),
            new Question(brand, "MESAJ", Fixtures.EMAIL, null, null, "DENY", "INVALID_RECIPIENT"),
            new Question(UNKNOWN_BRAND, "MESAJ", Fixtures.CONSENTED, null, null, "DENY", "UNKNOWN_BRAND"),
            new Question(Fixtures.STALE_BRAND, "MESAJ", Fixtures.CONSENTED, null, null, "DENY", "STALE"));
    }

    /**
     * @return the first of {@link #kinds()}: a consented phone of the fresh brand, ALLOW / CONSENT.
     */
    static Question consented()
    {
        return kinds().get(0);
    }

    /**
     * @return those of {@link #kinds()} about the fresh brand, the one brand the secure server's client may ask.
     */
    static List<Question> kindsOfTheFreshBrand()
    {
        return kinds().stream().filter((question) -> question.brand() == Fixtures.BRAND).toList();
    }

    /**
     * @return a question about the stale brand, which the secure server's client may not ask about.
     */
    static Question otherBrand()
    {
        return kinds().stream().filter((question) -> question.brand() == Fixtures.STALE_BRAND).findFirst()
            .orElseThrow();
    }

    /**
     * @param count how many, up to {@link Fixtures#BULK}.
     * @return the first bulk phones on MESAJ: even ones consented, odd ones rejected.
     */
    static List<Question> bulk(final int count)
    {
        final List<Question> questions = new ArrayList<>(count);
        for (int i = 0; i < count; i++)
        {
            questions.add(new Question(Fixtures.BRAND, "MESAJ", Fixtures.bulkPhone(i), null, null,
                i % 2 == 0 ? "ALLOW" : "DENY", i % 2 == 0 ? "CONSENT" : "REJECTED"));
        }
        return questions;
    }
}
