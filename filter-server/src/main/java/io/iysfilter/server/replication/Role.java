package io.iysfilter.server.replication;

import java.util.Locale;

/**
 * What a server does about the source of truth (setting {@code role}, docs/REPLICATION.md).
 */
public enum Role
{
    /**
     * Follows İYS itself and publishes nothing: one server on its own, as before replication.
     */
    STANDALONE,

    /**
     * Follows İYS, applies each change to its own index, then publishes it to the topic in a transaction only the
     * active fetcher can commit; serves checks like any server. A second fetcher stands by and takes over.
     */
    FETCHER,

    /**
     * Holds no İYS credentials: builds and keeps its index from the topic alone, and serves checks.
     */
    REPLICA;

    /**
     * @return the setting's spelling: {@code standalone}, {@code fetcher} or {@code replica}.
     */
    public String settingName()
    {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * @param text a setting's value, in any case.
     * @return the role it names.
     * @throws IllegalArgumentException naming the three roles, when it names none.
     */
    public static Role parse(final String text)
    {
        for (final Role role : values())
        {
            if (role.settingName().equalsIgnoreCase(text.trim()))
            {
                return role;
            }
        }
        throw new IllegalArgumentException("role must be standalone, fetcher or replica: " + text);
    }
}
