package io.iysfilter.server.security;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;

/**
 * One client of the clients file: its id, its roles, the brands it may ask about ({@code *} for every brand) and,
 * for a dealer's client, the dealers it sends for. Immutable; {@link #has(Role)}, {@link #mayAsk(long)} and
 * {@link #maySendAs(long)} allocate nothing, so an endpoint can ask them per request.
 */
public final class Client
{
    private final String id;
    private final int roles;
    private final boolean allBrands;
    private final long[] brands;
    private final long[] dealers;
    private final String certificateName;
    private final ClientStats stats;

    Client(
        final String id,
        final Set<Role> roles,
        final boolean allBrands,
        final long[] brands,
        final long[] dealers,
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
        this.dealers = dealers.clone();
        Arrays.sort(this.dealers);
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
     * Whether the client may ask with this dealer code: a client bound to dealers ({@code dealers = ...}) only as one
     * of them, never as the brand itself ({@code NO_DEALER}, 0) nor as another dealer; a client without dealers as
     * it asks.
     *
     * @param dealerCode the dealer the request names, 0 when none.
     * @return whether the client may ask as that dealer.
     */
    public boolean maySendAs(final long dealerCode)
    {
        return dealers.length == 0 || Arrays.binarySearch(dealers, dealerCode) >= 0;
    }

    /**
     * @return whether the client is bound to dealers: each of its checks must name one of them.
     */
    public boolean boundToDealers()
    {
        return dealers.length != 0;
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
            (dealers.length == 0 ? "" : ", dealers=" + Arrays.toString(dealers)) +
            (certificateName == null ? "" : ", cn=" + certificateName) + "}";
    }
}
