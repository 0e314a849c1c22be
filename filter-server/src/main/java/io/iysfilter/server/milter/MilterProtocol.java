package io.iysfilter.server.milter;

/**
 * The milter protocol as Postfix speaks it (version 6; docs/MILTER-PROTOCOL.md). Every packet, both ways:
 * <pre>
 *  +----------------+---------+-----------------------+
 *  | uint32 len (BE)| cmd (1) | payload (len-1 bytes)  |
 *  +----------------+---------+-----------------------+
 * </pre>
 * {@code len} counts the command byte and the payload. Strings end with NUL.
 */
final class MilterProtocol
{
    static final int VERSION = 6;
    static final int MIN_VERSION = 2;
    /** Largest packet accepted from the MTA; Postfix's body chunks are at most 65,535 bytes. */
    static final int MAX_PACKET_LENGTH = 1024 * 1024;

    static final byte SMFIC_ABORT = 'A';
    static final byte SMFIC_BODY = 'B';
    static final byte SMFIC_CONNECT = 'C';
    static final byte SMFIC_MACRO = 'D';
    static final byte SMFIC_BODYEOB = 'E';
    static final byte SMFIC_HELO = 'H';
    static final byte SMFIC_QUIT_NC = 'K';
    static final byte SMFIC_HEADER = 'L';
    static final byte SMFIC_MAIL = 'M';
    static final byte SMFIC_EOH = 'N';
    static final byte SMFIC_OPTNEG = 'O';
    static final byte SMFIC_QUIT = 'Q';
    static final byte SMFIC_RCPT = 'R';
    static final byte SMFIC_DATA = 'T';
    static final byte SMFIC_UNKNOWN = 'U';

    static final byte SMFIR_ACCEPT = 'a';
    static final byte SMFIR_CONTINUE = 'c';
    static final byte SMFIR_ADDHEADER = 'h';
    static final byte SMFIR_DELRCPT = '-';
    static final byte SMFIR_REPLYCODE = 'y';
    static final byte SMFIR_OPTNEG = 'O';

    static final int SMFIF_ADDHDRS = 0x01;
    static final int SMFIF_DELRCPT = 0x08;

    static final int SMFIP_NOCONNECT = 0x000001;
    static final int SMFIP_NOHELO = 0x000002;
    static final int SMFIP_NOBODY = 0x000010;
    static final int SMFIP_NR_HDR = 0x000080;
    static final int SMFIP_NOUNKNOWN = 0x000100;
    static final int SMFIP_NR_CONN = 0x001000;
    static final int SMFIP_NR_HELO = 0x002000;
    static final int SMFIP_NR_DATA = 0x010000;
    static final int SMFIP_NR_UNKN = 0x020000;
    static final int SMFIP_NR_EOH = 0x040000;
    static final int SMFIP_NR_BODY = 0x080000;

    /**
     * What we ask for, of what the MTA offers: no HELO, body or unknown commands (a decision needs none of them), and
     * no replies to CONNECT, headers, end of headers and DATA. MAIL and RCPT keep their replies, so a recipient can
     * be refused at RCPT time.
     */
    static final int WANTED_PROTOCOL = SMFIP_NOHELO | SMFIP_NOBODY | SMFIP_NOUNKNOWN | SMFIP_NR_CONN | SMFIP_NR_HDR |
        SMFIP_NR_EOH | SMFIP_NR_DATA;

    private MilterProtocol()
    {
    }
}
