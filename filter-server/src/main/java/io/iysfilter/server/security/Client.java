package io.iysfilter.server.security;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;

/**
 * One client of the clients file: its id, its roles and the brands it may ask about ({@code *} for every brand).
 * Immutable; {@link #has(Role)} and {@link #mayAsk(long)} allocate nothing, so an endpoint can ask them per request.
 */
public final class Client
{
    private final String id;
    private final int roles;
    private final boolean allBrands;
    private final long[] brands;
    private final String certificateName;
    private final ClientStats stats;

    Client(
        final String id,
        final Set<Role> roles,
        final boolean allBrands,
        final long[] brands,
        final String certificateName,
        final ClientStats stats)
    {
        this.id = id;
        int mask = 0;
        for (final Role role : roles)
        {
            mask |= role.bit();
        }
        this.roles = mask;
        this.allBrands = allBrands;
        this.brands = brands.clone();
        Arrays.sort(this.brands);
        this.certificateName = certificateName;
        this.stats = stats;
    }

    /**
     * @return the client's id, as in the clients file and the {@code client} label of its counters.
     */
    public String id()
    {
        return id;
    }

    /**
     * @param role a role.
     * @return whether the client has it.
     */
    public boolean has(final Role role)
    {
        return (roles & role.bit()) != 0;
    }

    /**
     * @return the client's roles.
     */
    public Set<Role> roles()
    {
        final Set<Role> set = EnumSet.noneOf(Role.class);
        for (final Role role : Role.values())
        {
            if (has(role))
            {
                set.add(role);
            }
        }
        return set;
    }

    /**
     * @param brandCode an İYS brand code.
     * @return whether the client may ask about it.
     */
    public boolean mayAsk(final long brandCode)
    {
        return allBrands || Arrays.binarySearch(brands, brandCode) >= 0;
    }

    /**
     * @return whether the client may ask about every brand ({@code brands = *}).
     */
    public boolean allBrands()
    {
        return allBrands;
    }

    /**
     * @return the certificate subject CN that identifies the client under mutual TLS, or null.
     */
    public String certificateName()
    {
        return certificateName;
    }

    /**
     * @return the client's counters, kept across reloads of the clients file.
     */
    public ClientStats stats()
    {
        return stats;
    }

    @Override
    public String toString()
    {
        return "Client{id=" + id + ", roles=" + roles() + ", brands=" + (allBrands ? "*" : Arrays.toString(brands)) +
            (certificateName == null ? "" : ", cn=" + certificateName) + "}";
    }
}
