package io.iysfilter.server.milter;

import io.iysfilter.server.logging.Recipients;
import io.iysfilter.server.decision.Decider;
import io.iysfilter.server.decision.BrandState;
import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.ConsentFilter;
import io.iysfilter.server.decision.DecisionIds;
import io.iysfilter.server.decision.MessageKind;
import io.iysfilter.server.decision.Reason;
import io.iysfilter.server.decision.RecipientType;
import io.iysfilter.server.metrics.ServerCounters;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The end-of-message decision for one message, independent of the wire.
 *
 * @param replyCode a whole-message SMTP reply ({@code 550 5.7.1 …} or {@code 451 4.7.1 …}), or null when the
 *                  message goes on with {@link #removed()} taken out.
 * @param removed   recipients to remove.
 * @param header    the {@code X-IYS-Filter} value.
 * @param audit     the audit line's details.
 */
record MilterOutcome(String replyCode, List<MilterSessionHandler.Recipient> removed, String header, String audit)
{
    /** How many recipients the audit line names, with their reasons; the rest are only counted. */
    static final int AUDIT_RECIPIENTS = 100;
    /**
     * How many decision ids the {@code X-IYS-Filter} header names, in RCPT order; the rest are counted (the audit
     * line names those of the first {@link #AUDIT_RECIPIENTS}): 40 ids keep the header well within a mail line.
     */
    static final int HEADER_IDS = 40;

    static MilterOutcome decide(
        final MilterSessionHandler.Message message,
        final String authUser,
        final MilterSettings settings,
        final Decider decider,
        final ServerCounters counters,
        final long nowMs)
    {
        if (message.sender != null && message.sender.isEmpty())
        {
            // the null sender <>: a bounce or DSN, not a commercial message, so no consent applies (README)
            counters.onMilterNullSender();
            final int count = message.recipients.size();
            return new MilterOutcome(null, List.of(), "null-sender kind=NOT_COMMERCIAL kept=" + count + " removed=0",
                "outcome=accept reason=NULL_SENDER kept=" + count + " removed=0 recipients=" +
                addresses(message.recipients));
        }
        final MilterBrandMap.Mapping mapped = settings.brandMap().resolve(authUser, message.sender);
        long brandCode = mapped == null ? -1 : mapped.brandCode();
        if (brandCode < 0 && settings.brandHeader() && message.brandHeader != null &&
            message.brandHeader.matches("[0-9]{1,10}"))
        {
            brandCode = Long.parseLong(message.brandHeader);
        }
        if (brandCode < 1 || brandCode > 0xFFFF_FFFFL)
        {
            return new MilterOutcome("451 4.7.1 Sender is not mapped to an IYS brand, try again later", List.of(),
                "", "outcome=tempfail reason=NO_BRAND_MAPPING auth=" + authUser + " recipients=" +
                addresses(message.recipients));
        }
        final MessageKind kind = mapped != null && mapped.kind() != null ? mapped.kind() :
            settings.kindHeader() && "TRANSACTIONAL".equalsIgnoreCase(message.kindHeader) ?
            MessageKind.TRANSACTIONAL : MessageKind.COMMERCIAL;

        // the X-IYS-Brand header names a brand only: a dealer comes from the operator's mapping alone
        final long dealerCode = mapped == null ? ConsentFilter.NO_DEALER : mapped.dealerCode();
        final String dealerText = mapped == null ? "" : mapped.dealerText();
        final BrandState brand = decider.brand(brandCode);
        final List<MilterSessionHandler.Recipient> removed = new ArrayList<>();
        final StringBuilder listed = new StringBuilder("[");
        final StringBuilder ids = new StringBuilder();
        int named = 0;
        Reason undecidable = null;
        for (final MilterSessionHandler.Recipient recipient : message.recipients)
        {
            final long startNs = System.nanoTime();
            final Reason reason = decider.decide(brandCode, brand, Channel.EPOSTA, RecipientType.UNSPECIFIED, kind,
                recipient.address(), dealerCode, nowMs);
            final String decisionId = DecisionIds.text(decider.lastDecisionId());
            if (named < HEADER_IDS)
            {
                ids.append(named == 0 ? "" : ",").append(decisionId);
            }
            counters.onDecision(ServerCounters.Endpoint.MILTER, reason);
            counters.onLatency(ServerCounters.Endpoint.MILTER, ServerCounters.RequestType.CHECK,
                System.nanoTime() - startNs);
            if (named++ < AUDIT_RECIPIENTS)
            {
                listed.append(named == 1 ? "" : ",").append(Recipients.mask(recipient.address())).append(':')
                    .append(reason).append(':').append(decisionId);
            }
            if (MilterSessionHandler.isUndecidable(reason))
            {
                undecidable = reason;
            }
            else if (!reason.allows())
            {
                removed.add(recipient);
            }
        }
        final int count = message.recipients.size();
        final String details = "brand=" + brandCode + dealerText + " kind=" + kind + " kept=" +
            (count - removed.size()) + " removed=" + removed.size() + " recipients=" + more(listed, count);
        if (undecidable != null)
        {
            return new MilterOutcome("451 4.7.1 IYS consent cannot be checked now (" + undecidable +
                "), try again later", List.of(), "", "outcome=tempfail " + details);
        }
        final int keptCount = count - removed.size();
        if (keptCount == 0)
        {
            return new MilterOutcome(String.format(Locale.ROOT, "550 5.7.1 No IYS consent for any recipient " +
                "(brand %d%s)", brandCode, dealerText), List.of(), "",
                "outcome=reject " + details);
        }
        final String header = "brand=" + brandCode + dealerText + " kind=" + kind + " kept=" + keptCount + " removed=" +
            removed.size() + " asOf=" + MilterSessionHandler.asOf(brand) + " ids=" + ids +
            (count > HEADER_IDS ? " (+" + (count - HEADER_IDS) + " more)" : "");
        return new MilterOutcome(null, removed, header, "outcome=accept " + details);
    }

    /**
     * @return the first {@link #AUDIT_RECIPIENTS} addresses, and how many more there are.
     */
    private static String addresses(final List<MilterSessionHandler.Recipient> recipients)
    {
        final StringBuilder text = new StringBuilder("[");
        for (int i = 0; i < Math.min(AUDIT_RECIPIENTS, recipients.size()); i++)
        {
            text.append(i == 0 ? "" : ",").append(Recipients.mask(recipients.get(i).address()));
        }
        return more(text, recipients.size());
    }

    private static String more(final StringBuilder listed, final int count)
    {
        listed.append(']');
        if (count > AUDIT_RECIPIENTS)
        {
            listed.append(" (+").append(count - AUDIT_RECIPIENTS).append(" more)");
        }
        return listed.toString();
    }
}
