package io.iysfilter.loadtest.cli;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class RedisComparisonTest
{
    @Test
    void readsVerdictsAndReasonsFromRedisCliLinesOfOneOrManyDecisions()
    {
        assertEquals("ALLOW CONSENT", RedisComparison.verdictsAndReasons("ALLOW\nCONSENT\n1764518400000\n"));
        assertEquals("DENY REJECTED DENY NO_CONSENT ALLOW CONSENT", RedisComparison.verdictsAndReasons(
            "DENY\nREJECTED\n1764518400000\nDENY\nNO_CONSENT\n0\nALLOW\nCONSENT\n1764518400000\n"));
        assertEquals("", RedisComparison.verdictsAndReasons("ERR unknown command 'IYS.CHECK'\n"),
            "an error is no decision");
        assertEquals("DENY", RedisComparison.verdictsAndReasons("DENY\n"), "a verdict without its reason stays short");
    }
}
