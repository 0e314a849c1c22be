package io.iysfilter.server.security;

import java.util.Locale;

/**
 * What a client may do, each role a set of routes (docs/SECURITY.md): {@code check} the binary CHECK and
 * CHECK_BATCH and {@code GET /v1/check}; {@code scrub} {@code POST /v1/scrub}; {@code optout} {@code /v1/optouts};
 * {@code reconcile} {@code POST /v1/reconcile}; {@code admin} {@code /v1/brands}, {@code /metrics} and
 * {@code /health/ready}.
 */
public enum Role
{
    /** Single and batch consent checks. */
    CHECK,
    /** Streamed list scrubbing. */
    SCRUB,
    /** Recording and listing local opt-outs. */
    OPTOUT,
    /** Reconciling a day with İYS. */
    RECONCILE,
    /** Brands, metrics and readiness details. */
    ADMIN;

    private final int bit = 1 << ordinal();
    private final String wireName = name().toLowerCase(Locale.ROOT);

    /**
     * @return this role's bit in a role mask.
     */
    int bit()
    {
        return bit;
    }

    /**
     * @return the name written in the clients file, e.g. {@code check}.
     */
    public String wireName()
    {
        return wireName;
    }

    /**
     * @param name a role as written in the clients file.
     * @return the role, or null when there is none of that name.
     */
    public static Role parse(final String name)
    {
        for (final Role role : values())
        {
            if (role.wireName.equals(name))
            {
                return role;
            }
        }
        return null;
    }
}
