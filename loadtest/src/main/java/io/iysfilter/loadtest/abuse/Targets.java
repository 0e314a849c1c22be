package io.iysfilter.loadtest.abuse;

/**
 * The server the hostile clients attack, on 127.0.0.1, and the timeouts it was started with (they decide how long
 * a hostile client waits for its answer).
 *
 * @param binaryPort     binary protocol port.
 * @param httpPort       HTTP port.
 * @param milterPort     milter port, or -1 when the server has none.
 * @param maxConnections the server's {@code max-connections}.
 * @param binaryIdleMs   its {@code binary-idle-timeout}.
 * @param binaryFrameMs  its {@code binary-frame-timeout}.
 * @param httpIdleMs     its {@code http-idle-timeout}.
 * @param httpRequestMs  its {@code http-request-timeout}.
 * @param milterPacketMs its {@code milter-packet-timeout}.
 */
public record Targets(
    int binaryPort,
    int httpPort,
    int milterPort,
    int maxConnections,
    long binaryIdleMs,
    long binaryFrameMs,
    long httpIdleMs,
    long httpRequestMs,
    long milterPacketMs)
{
    /**
     * @return the longest any hostile attempt waits for its answer: the longest timeout, its check's lateness (a
     * quarter of it) and a linger after an unread ERROR, plus slack.
     */
    public long longestWaitMs()
    {
        final long longest = Math.max(Math.max(binaryIdleMs + binaryFrameMs, httpIdleMs),
            Math.max(httpRequestMs, milterPacketMs));
        return longest + longest / 4 + HostileClient.ANSWER_SLACK_MS;
    }
}
