package io.iysfilter.server.iys;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;

/**
 * One İYS login's tokens ({@code POST /oauth2/token}): the password grant, refreshed with the refresh token a minute
 * before expiry, and a new login when the refresh token is gone or refused. One refresh at a time however many
 * brands and providers use it: {@link #accessToken()} is synchronized. The password is never logged.
 */
final class Tokens
{
    private static final long REFRESH_MARGIN_MS = 60_000;

    private final URI baseUrl;
    private final String username;
    private final String password;
    private final FeedSettings limits;
    private final HttpClient http;
    private String accessToken;
    private long accessExpiresMs;
    private String refreshToken;
    private long refreshExpiresMs;

    /**
     * @param provider the login (base URL, user name, password) and the requests' deadline and size cap.
     * @param http     the client.
     */
    Tokens(final FeedSettings provider, final HttpClient http)
    {
        this.baseUrl = provider.baseUrl();
        this.username = provider.username();
        this.password = provider.password();
        this.limits = provider;
        this.http = http;
    }

    synchronized String accessToken() throws IOException, InterruptedException
    {
        final long nowMs = System.currentTimeMillis();
        if (accessToken != null && nowMs < accessExpiresMs - REFRESH_MARGIN_MS)
        {
            return accessToken;
        }
        if (refreshToken != null && nowMs < refreshExpiresMs - REFRESH_MARGIN_MS)
        {
            try
            {
                token(IysClient.body("grant_type", "refresh_token", "refresh_token", refreshToken));
                return accessToken;
            }
            catch (final IysApiException ex)
            {
                refreshToken = null;
            }
        }
        token(IysClient.body("grant_type", "password", "username", username, "password", password));
        return accessToken;
    }

    /**
     * Forget the access token, e.g. after a 401; the next call refreshes or logs in.
     */
    synchronized void invalidate()
    {
        accessToken = null;
    }

    private void token(final byte[] body) throws IOException, InterruptedException
    {
        final Token token = IysHttp.read(http,
            HttpRequest.newBuilder(baseUrl.resolve("/oauth2/token")).timeout(IysClient.TIMEOUT)
            .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
            limits, Tokens::parse, "token");
        final long nowMs = System.currentTimeMillis();
        if (token.refresh != null)
        {
            refreshToken = token.refresh;
        }
        final String access = token.access;
        final long expiresIn = token.expiresIn;
        final long refreshExpiresIn = token.refreshExpiresIn;
        if (access == null || expiresIn <= 0)
        {
            throw new IOException("token response lacks access_token or expires_in");
        }
        accessToken = access;
        accessExpiresMs = nowMs + expiresIn * 1000;
        refreshExpiresMs = nowMs + refreshExpiresIn * 1000;
    }

    /**
     * The fields of a token answer.
     */
    private static final class Token
    {
        String access;
        String refresh;
        long expiresIn;
        long refreshExpiresIn;
    }

    private static Token parse(final InputStream body) throws IOException
    {
        final Token token = new Token();
        try (JsonParser parser = IysClient.JSON.createParser(body))
        {
            if (parser.nextToken() != JsonToken.START_OBJECT)
            {
                throw new IOException("token response is not a JSON object");
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME)
            {
                final String name = parser.currentName();
                parser.nextToken();
                switch (name)
                {
                    case "access_token" -> token.access = parser.getText();
                    case "refresh_token" -> token.refresh = parser.getText();
                    case "expires_in" -> token.expiresIn = parser.getValueAsLong();
                    case "refresh_expires_in" -> token.refreshExpiresIn = parser.getValueAsLong();
                    default -> parser.skipChildren();
                }
            }
        }
        return token;
    }
}
