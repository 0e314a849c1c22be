package io.iysfilter.server.logging;

import java.util.regex.Pattern;

/**
 * The one way a URL that may carry a login ({@code https://user:password@host}) is printed or logged: its user-info
 * replaced by {@code ****} (docs/SECURITY.md).
 */
public final class Secrets
{
    private static final Pattern USER_INFO = Pattern.compile("(?<=://)[^/@?#]*@");

    private Secrets()
    {
    }

    /**
     * @param url a URL as given, or null.
     * @return it with any user-info masked: {@code https://****@host/path}.
     */
    public static String maskUserInfo(final String url)
    {
        return url == null ? null : USER_INFO.matcher(url).replaceFirst("****@");
    }
}
