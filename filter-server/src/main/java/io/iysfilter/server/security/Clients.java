package io.iysfilter.server.security;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One reading of the clients file: its clients, found by token or by certificate name. Immutable; a reload makes a
 * new one.
 * <p>
 * <b>The file</b> (docs/SECURITY.md §8) is a section per client, {@code [id]}, followed by {@code key = value} lines:
 * {@code roles} (comma-separated: {@code check}, {@code scrub}, {@code optout}, {@code reconcile}, {@code admin}),
 * {@code brands} (comma-separated İYS brand codes, or {@code *}), {@code token} (a {@code sha256:} digest; the key may
 * repeat, so that a new token can be added before the old one is removed) and {@code cn} (the subject CN of the
 * client's certificate under mutual TLS) and {@code dealers} (comma-separated İYS dealer numbers: the client sends for
 * these dealers only, and every check it makes must name one of them). {@code #} starts a comment line. Every error
 * names its line.
 * <p>
 * <b>Lookup by token without a timing oracle.</b> The token a client presents is hashed with SHA-256 first, and the
 * digest, not the token, is looked up in a hash map, whose final comparison is {@link MessageDigest#isEqual}. The
 * time the lookup takes can depend only on the digest of what the client sent, never on how many leading characters
 * of a real token it guessed: learning that a digest shares a bucket or a prefix with a stored digest tells nothing
 * about any token, since finding a token for a given digest prefix is a preimage search on SHA-256.
 */
public final class Clients
{
    /** A client id: what {@code client} labels and logs show. */
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final long MAX_BRAND = 0xFFFF_FFFFL;
    private static final String KEYS = "roles, brands, dealers, token, cn";

    private final List<Client> clients;
    private final Map<DigestKey, Client> byToken;
    private final Map<String, Client> byCertificateName;
    private final Map<String, Client> byId;

    private Clients(final List<Client> clients, final Map<DigestKey, Client> byToken,
        final Map<String, Client> byCertificateName)
    {
        this.clients = Collections.unmodifiableList(clients);
        this.byToken = byToken;
        this.byCertificateName = byCertificateName;
        this.byId = new HashMap<>();
        for (final Client client : clients)
        {
            byId.put(client.id(), client);
        }
    }

    /**
     * @return the clients, in file order.
     */
    public List<Client> clients()
    {
        return clients;
    }

    /**
     * @param id a client id.
     * @return the client, or null.
     */
    public Client byId(final String id)
    {
        return byId.get(id);
    }

    /**
     * @param token the token's bytes as the client sent them.
     * @return the client it belongs to, or null. The token is hashed first and only its digest is looked up and
     *         compared, in constant time (see the class comment).
     */
    public Client byToken(final byte[] token)
    {
        if (token == null || token.length == 0 || token.length > BearerTokens.MAX_LENGTH)
        {
            return null;
        }
        final byte[] digest = BearerTokens.digest(token);
        return byToken.get(new DigestKey(digest));
    }

    /**
     * @param commonName the subject CN of a verified peer certificate.
     * @return the client whose {@code cn} it is, or null.
     */
    public Client byCertificateName(final String commonName)
    {
        return commonName == null ? null : byCertificateName.get(commonName);
    }

    /**
     * Read a clients file's lines.
     *
     * @param source   the file's name, for errors.
     * @param lines    its lines.
     * @param counters where each client's counters are kept across readings.
     * @return the clients.
     * @throws ClientsFileException naming the first line that is wrong.
     */
    public static Clients parse(final String source, final List<String> lines, final ClientCounters counters)
        throws ClientsFileException
    {
        final List<Section> sections = new ArrayList<>();
        final Map<String, Integer> idLines = new HashMap<>();
        Section section = null;
        for (int i = 0; i < lines.size(); i++)
        {
            final int lineNumber = i + 1;
            final String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#"))
            {
                continue;
            }
            if (line.startsWith("["))
            {
                if (!line.endsWith("]"))
                {
                    throw new ClientsFileException(source, lineNumber, "a section header must be [id]: '" + line +
                        "'");
                }
                final String id = line.substring(1, line.length() - 1).strip();
                if (!ID.matcher(id).matches() || ClientCounters.OTHER.equals(id) ||
                    ClientCounters.ANONYMOUS.equals(id) || ClientCounters.UNKNOWN.equals(id))
                {
                    throw new ClientsFileException(source, lineNumber, "bad client id '" + id + "' (expected: 1..64 " +
                        "of A-Z a-z 0-9 . _ -, beginning with a letter or digit; not other, anonymous or unknown)");
                }
                final Integer first = idLines.putIfAbsent(id, lineNumber);
                if (first != null)
                {
                    throw new ClientsFileException(source, lineNumber, "duplicate client id '" + id +
                        "' (first on line " + first + ")");
                }
                section = new Section(id, lineNumber);
                sections.add(section);
                continue;
            }
            final int equals = line.indexOf('=');
            if (equals < 0)
            {
                // not quoted: a bare token pasted on a line of its own would otherwise reach the log
                throw new ClientsFileException(source, lineNumber, "expected [id] or key = value (the line is not " +
                    "quoted: it may be a token)" + (line.startsWith(BearerTokens.PREFIX) ? ": it looks like a " +
                    "bearer token; the file takes only its digest, `token = sha256:…`, as `iys-filter token new` " +
                    "prints" : ""));
            }
            final String key = line.substring(0, equals).strip();
            final String value = line.substring(equals + 1).strip();
            if (section == null)
            {
                throw new ClientsFileException(source, lineNumber, "'" + key + "' before any [id] section");
            }
            section.set(source, lineNumber, key, value);
        }
        if (sections.isEmpty())
        {
            throw new ClientsFileException(source, 0, "no client (expected at least one [id] section; " +
                "docs/SECURITY.md)");
        }
        final List<Client> clients = new ArrayList<>();
        final Map<DigestKey, Client> byToken = new HashMap<>();
        final Map<DigestKey, Integer> tokenLines = new HashMap<>();
        final Map<String, Client> byName = new HashMap<>();
        for (final Section each : sections)
        {
            final Client client = each.toClient(source, counters);
            for (int t = 0; t < each.tokens.size(); t++)
            {
                final DigestKey key = new DigestKey(each.tokens.get(t));
                final Integer first = tokenLines.putIfAbsent(key, each.tokenLines.get(t));
                if (first != null)
                {
                    throw new ClientsFileException(source, each.tokenLines.get(t), "duplicate token hash (also on " +
                        "line " + first + "): each token identifies one client");
                }
                byToken.put(key, client);
            }
            if (client.certificateName() != null)
            {
                final Client other = byName.putIfAbsent(client.certificateName(), client);
                if (other != null)
                {
                    throw new ClientsFileException(source, each.cnLine, "duplicate cn '" + client.certificateName() +
                        "' (also client '" + other.id() + "'): each certificate name identifies one client");
                }
            }
            clients.add(client);
        }
        return new Clients(clients, byToken, byName);
    }

    /**
     * One {@code [id]} section while it is read.
     */
    private static final class Section
    {
        private final String id;
        private final int line;
        private final List<byte[]> tokens = new ArrayList<>();
        private final List<Integer> tokenLines = new ArrayList<>();
        private Set<Role> roles;
        private boolean allBrands;
        private long[] brands;
        private long[] dealers;
        private String cn;
        private int cnLine;

        Section(final String id, final int line)
        {
            this.id = id;
            this.line = line;
        }

        void set(final String source, final int lineNumber, final String key, final String value)
            throws ClientsFileException
        {
            switch (key)
            {
                case "roles" ->
                {
                    once(source, lineNumber, key, roles != null);
                    roles = roles(source, lineNumber, value);
                }
                case "brands" ->
                {
                    once(source, lineNumber, key, brands != null);
                    if ("*".equals(value))
                    {
                        allBrands = true;
                        brands = new long[0];
                    }
                    else
                    {
                        brands = codes(source, lineNumber, value, "brand", "1.." + MAX_BRAND +
                            ", comma-separated, or * alone for every brand");
                    }
                }
                case "dealers" ->
                {
                    once(source, lineNumber, key, dealers != null);
                    dealers = codes(source, lineNumber, value, "dealer", "an İYS dealer number, 1.." + MAX_BRAND +
                        ", comma-separated");
                }
                case "token" ->
                {
                    final byte[] digest = BearerTokens.parseHash(value);
                    if (digest == null)
                    {
                        // the value is not quoted: it may be the token itself, pasted instead of its digest
                        throw new ClientsFileException(source, lineNumber, "bad token hash (expected: sha256: and " +
                            "64 hexadecimal digits, as `iys-filter token new` prints; the value is not quoted" +
                            (value.startsWith(BearerTokens.PREFIX) ? ", and looks like the token itself: never put " +
                            "a token in the file, only its digest)" : ")"));
                    }
                    tokens.add(digest);
                    tokenLines.add(lineNumber);
                }
                case "cn" ->
                {
                    once(source, lineNumber, key, cn != null);
                    if (value.isEmpty())
                    {
                        throw new ClientsFileException(source, lineNumber, "cn: empty (expected: the subject CN " +
                            "of the client's certificate)");
                    }
                    cn = value;
                    cnLine = lineNumber;
                }
                default -> throw new ClientsFileException(source, lineNumber, "unknown key '" +
                    (key.startsWith(BearerTokens.PREFIX) ? "(a bearer token: not quoted)" : key) + "' (expected: " +
                    KEYS + ")");
            }
        }

        private void once(final String source, final int lineNumber, final String key, final boolean seen)
            throws ClientsFileException
        {
            if (seen)
            {
                throw new ClientsFileException(source, lineNumber, key + ": given twice for client '" + id + "'");
            }
        }

        Client toClient(final String source, final ClientCounters counters) throws ClientsFileException
        {
            if (roles == null)
            {
                throw new ClientsFileException(source, line, "client '" + id + "' has no roles (expected: roles = " +
                    "check, scrub, optout, reconcile and/or admin)");
            }
            if (brands == null)
            {
                throw new ClientsFileException(source, line, "client '" + id + "' has no brands (expected: brands " +
                    "= a comma-separated list of brand codes, or *)");
            }
            if (tokens.isEmpty() && cn == null)
            {
                throw new ClientsFileException(source, line, "client '" + id + "' has neither a token nor a cn: " +
                    "nothing could identify it");
            }
            return new Client(id, roles, allBrands, brands, dealers == null ? new long[0] : dealers, cn,
                counters.forId(id));
        }

        private static Set<Role> roles(final String source, final int lineNumber, final String value)
            throws ClientsFileException
        {
            final Set<Role> set = EnumSet.noneOf(Role.class);
            for (final String name : value.split(",", -1))
            {
                final Role role = Role.parse(name.strip());
                if (role == null)
                {
                    throw new ClientsFileException(source, lineNumber, "unknown role '" + name.strip() +
                        "' (expected: check, scrub, optout, reconcile, admin)");
                }
                set.add(role);
            }
            return set;
        }

        private static long[] codes(
            final String source,
            final int lineNumber,
            final String value,
            final String what,
            final String expected)
            throws ClientsFileException
        {
            final String[] parts = value.split(",", -1);
            final long[] codes = new long[parts.length];
            for (int i = 0; i < parts.length; i++)
            {
                final String part = parts[i].strip();
                long code = -1;
                try
                {
                    code = part.length() > 10 ? -1 : Long.parseLong(part);
                }
                catch (final NumberFormatException ex)
                {
                    code = -1;
                }
                if (code < 1 || code > MAX_BRAND || !part.chars().allMatch(Character::isDigit))
                {
                    throw new ClientsFileException(source, lineNumber, "bad " + what + " code '" + part +
                        "' (expected: " + expected + ")");
                }
                codes[i] = code;
            }
            return codes;
        }
    }

    /**
     * A SHA-256 digest as a map key; equal only by {@link MessageDigest#isEqual}, which takes the same time whatever
     * the bytes.
     */
    static final class DigestKey
    {
        private final byte[] digest;
        private final int hash;

        DigestKey(final byte[] digest)
        {
            this.digest = digest;
            this.hash = (digest[0] & 0xFF) << 24 | (digest[1] & 0xFF) << 16 | (digest[2] & 0xFF) << 8 |
                digest[3] & 0xFF;
        }

        @Override
        public boolean equals(final Object other)
        {
            return other instanceof DigestKey key && MessageDigest.isEqual(digest, key.digest);
        }

        @Override
        public int hashCode()
        {
            return hash;
        }
    }
}
