package io.iysfilter.client;

import io.iysfilter.protocol.codecs.Channel;
import io.iysfilter.protocol.codecs.MessageKind;
import io.iysfilter.protocol.codecs.RecipientType;

/**
 * One entry of a batch check.
 *
 * @param channel       ARAMA, MESAJ or EPOSTA.
 * @param recipientType BIREYSEL, TACIR or UNSPECIFIED.
 * @param kind          COMMERCIAL or TRANSACTIONAL.
 * @param recipient     phone number or e-mail address, ASCII, at most 254 bytes.
 */
public record BatchEntry(Channel channel, RecipientType recipientType, MessageKind kind, String recipient)
{
}
