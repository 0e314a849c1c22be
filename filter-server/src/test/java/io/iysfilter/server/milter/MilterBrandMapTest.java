package io.iysfilter.server.milter;

import io.iysfilter.server.decision.MessageKind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MilterBrandMapTest
{
    @TempDir
    Path dir;

    @Test
    void shouldResolveAuthThenSenderThenDomainAndParentDomains() throws Exception
    {
        final MilterBrandMap map = MilterBrandMap.load(Files.writeString(dir.resolve("brands"), String.join("\n",
            "# brands of one SP",
            "domain:brand.example = 600001",
            "  sender:billing@brand.example=600001 TRANSACTIONAL",
            "auth:Brand-A = 600003",
            "domain:other.example = 600002",
            "")));
        assertEquals(new MilterBrandMap.Mapping(600_001, null), map.resolve(null, "news@brand.example"));
        assertEquals(new MilterBrandMap.Mapping(600_001, null), map.resolve(null, "News@Mail.Brand.Example"),
            "parent domains, case-insensitive");
        assertEquals(new MilterBrandMap.Mapping(600_001, MessageKind.TRANSACTIONAL),
            map.resolve(null, "billing@brand.example"));
        assertEquals(600_003, map.resolve("brand-a", "news@other.example").brandCode(), "AUTH user first");
        assertEquals(600_002, map.resolve("someone-else", "news@other.example").brandCode());
        assertNull(map.resolve(null, "news@unmapped.example"));
        assertNull(map.resolve(null, ""), "the null sender maps to nothing");
    }

    @Test
    void shouldNameTheBadEntry() throws Exception
    {
        final IllegalArgumentException badKey = assertThrows(IllegalArgumentException.class,
            () -> MilterBrandMap.load(Files.writeString(dir.resolve("a"), "brand.example = 600001\n")));
        assertTrue(badKey.getMessage().contains("'brand.example '"), badKey.getMessage());
        final IllegalArgumentException badValue = assertThrows(IllegalArgumentException.class,
            () -> MilterBrandMap.load(Files.writeString(dir.resolve("b"), "domain:x.example = PROMO\n")));
        assertTrue(badValue.getMessage().contains("domain:x.example"), badValue.getMessage());
        final IllegalArgumentException noEquals = assertThrows(IllegalArgumentException.class,
            () -> MilterBrandMap.load(Files.writeString(dir.resolve("c"), "domain:x.example 600001\n")));
        assertTrue(noEquals.getMessage().contains("line 1"), noEquals.getMessage());
    }
}
