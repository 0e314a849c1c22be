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
    void shouldTakeADealerAfterTheBrandInEitherOrderWithTheKind() throws Exception
    {
        final MilterBrandMap map = MilterBrandMap.load(Files.writeString(dir.resolve("dealers"), String.join("\n",
            "sender:x@dealer.example = 600001 dealer=22233344",
            "sender:bill@dealer.example = 600001 dealer=22233344 TRANSACTIONAL",
            "auth:kadikoy = 600001 COMMERCIAL DEALER=4294967295",
            "domain:dealer.example = 600001",
            "")));
        assertEquals(new MilterBrandMap.Mapping(600_001, null, 22_233_344L), map.resolve(null, "x@dealer.example"));
        assertEquals(new MilterBrandMap.Mapping(600_001, MessageKind.TRANSACTIONAL, 22_233_344L),
            map.resolve(null, "bill@dealer.example"));
        assertEquals(new MilterBrandMap.Mapping(600_001, MessageKind.COMMERCIAL, 4_294_967_295L),
            map.resolve("kadikoy", "y@other.example"));
        assertEquals(new MilterBrandMap.Mapping(600_001, null), map.resolve(null, "y@dealer.example"),
            "a mapping without dealer= is the brand's, as before");
        assertEquals(0, map.resolve(null, "y@dealer.example").dealerCode());
    }

    @Test
    void shouldRefuseAMalformedDealerNamingItsLine() throws Exception
    {
        for (final String bad : new String[] {"dealer=", "dealer=0", "dealer=abc", "dealer=4294967296", "dealer=-5",
            "dealer=12345678901", "dealer=1 dealer=2"})
        {
            final IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> MilterBrandMap.load(Files.writeString(dir.resolve("bad"), "# dealers\n" +
                "sender:x@dealer.example = 600001 " + bad + "\n")), bad);
            assertTrue(error.getMessage().contains("line 2") && error.getMessage().contains("bad dealer"),
                error.getMessage());
        }
        final IllegalArgumentException twoKinds = assertThrows(IllegalArgumentException.class,
            () -> MilterBrandMap.load(Files.writeString(dir.resolve("kinds"),
            "sender:x@dealer.example = 600001 COMMERCIAL TRANSACTIONAL\n")));
        assertTrue(twoKinds.getMessage().contains("line 1"), twoKinds.getMessage());
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
