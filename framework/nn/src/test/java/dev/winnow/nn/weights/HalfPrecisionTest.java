package dev.winnow.nn.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class HalfPrecisionTest {

    @Test
    void bf16DecodesToTheTopHalfOfAnF32() {
        assertEquals(1.0f, HalfPrecision.bf16ToFloat((short) 0x3F80));
        assertEquals(-2.5f, HalfPrecision.bf16ToFloat((short) 0xC020));
        assertEquals(3.140625f, HalfPrecision.bf16ToFloat((short) 0x4049));
        assertEquals(Float.POSITIVE_INFINITY, HalfPrecision.bf16ToFloat((short) 0x7F80));
        assertEquals(Float.NEGATIVE_INFINITY, HalfPrecision.bf16ToFloat((short) 0xFF80));
        assertTrue(Float.isNaN(HalfPrecision.bf16ToFloat((short) 0x7FC0)));
        assertEquals(Float.intBitsToFloat(0x0001_0000), HalfPrecision.bf16ToFloat((short) 0x0001));
        assertEquals(0x8000_0000, Float.floatToRawIntBits(HalfPrecision.bf16ToFloat((short) 0x8000)));
    }

    @Test
    void bf16RoundsToNearestEven() {
        assertEquals((short) 0x3F80, HalfPrecision.floatToBf16(1.0f));
        assertEquals((short) 0x4049, HalfPrecision.floatToBf16((float) Math.PI)); // 0x40490FDB
        assertEquals((short) 0x3F80, HalfPrecision.floatToBf16(Float.intBitsToFloat(0x3F80_8000))); // tie, even
        assertEquals((short) 0x3F82, HalfPrecision.floatToBf16(Float.intBitsToFloat(0x3F81_8000))); // tie, up
        assertEquals((short) 0x3F81, HalfPrecision.floatToBf16(Float.intBitsToFloat(0x3F80_8001))); // above tie
        assertEquals((short) 0x7F80, HalfPrecision.floatToBf16(Float.intBitsToFloat(0x7F7F_FFFF))); // max -> inf
        assertTrue(Float.isNaN(HalfPrecision.bf16ToFloat(HalfPrecision.floatToBf16(Float.NaN))));
        assertTrue(Float.isNaN(HalfPrecision.bf16ToFloat(HalfPrecision.floatToBf16(Float.intBitsToFloat(0x7F80_0001)))));
    }

    @Test
    void f16DecodesHandCheckedValues() {
        assertEquals(1.0f, HalfPrecision.f16ToFloat((short) 0x3C00));
        assertEquals(-2.0f, HalfPrecision.f16ToFloat((short) 0xC000));
        assertEquals(65504f, HalfPrecision.f16ToFloat((short) 0x7BFF));
        assertEquals(0x1p-24f, HalfPrecision.f16ToFloat((short) 0x0001));
        assertEquals(0x1p-14f, HalfPrecision.f16ToFloat((short) 0x0400));
        assertEquals(0.333251953125f, HalfPrecision.f16ToFloat((short) 0x3555));
        assertEquals(0.0999755859375f, HalfPrecision.f16ToFloat((short) 0x2E66));
        assertEquals(Float.POSITIVE_INFINITY, HalfPrecision.f16ToFloat((short) 0x7C00));
        assertEquals(Float.NEGATIVE_INFINITY, HalfPrecision.f16ToFloat((short) 0xFC00));
        assertTrue(Float.isNaN(HalfPrecision.f16ToFloat((short) 0x7E00)));
        assertEquals(0x8000_0000, Float.floatToRawIntBits(HalfPrecision.f16ToFloat((short) 0x8000)));
    }

    @Test
    void f16RoundsToNearestEven() {
        assertEquals((short) 0x3C00, HalfPrecision.floatToF16(1.0f));
        assertEquals((short) 0x3555, HalfPrecision.floatToF16(1f / 3f));
        assertEquals((short) 0x2E66, HalfPrecision.floatToF16(0.1f));
        assertEquals((short) 0x7BFF, HalfPrecision.floatToF16(65504f));
        assertEquals((short) 0x7BFF, HalfPrecision.floatToF16(65519.99f));
        assertEquals((short) 0x7C00, HalfPrecision.floatToF16(65520f)); // tie rounds to even: infinity
        assertEquals((short) 0x7C00, HalfPrecision.floatToF16(1e9f));
        assertEquals((short) 0x0001, HalfPrecision.floatToF16(0x1p-24f));
        assertEquals((short) 0x0000, HalfPrecision.floatToF16(0x1p-25f)); // tie to even: zero
        assertEquals((short) 0x0002, HalfPrecision.floatToF16(0x1.4p-23f)); // 2.5 units: tie to even 2
        assertEquals((short) 0x0001, HalfPrecision.floatToF16(0x1.8p-25f));
        assertEquals((short) 0x0400, HalfPrecision.floatToF16(0x1p-14f));
        assertEquals((short) 0x0400, HalfPrecision.floatToF16(0x1.ffcp-15f)); // largest subnormal + half ulp
        assertEquals((short) 0x8000, HalfPrecision.floatToF16(-1e-12f));
        assertTrue(Float.isNaN(HalfPrecision.f16ToFloat(HalfPrecision.floatToF16(Float.NaN))));
    }

    @Test
    void everyHalfAndBfloatPatternSurvivesWideningAndNarrowing() {
        for (int i = 0; i < 1 << 16; i++) {
            short h = (short) i;
            float f = HalfPrecision.f16ToFloat(h);
            if (!Float.isNaN(f)) {
                assertEquals(h, HalfPrecision.floatToF16(f), "f16 pattern " + Integer.toHexString(i));
            }
            float b = HalfPrecision.bf16ToFloat(h);
            if (!Float.isNaN(b)) {
                assertEquals(h, HalfPrecision.floatToBf16(b), "bf16 pattern " + Integer.toHexString(i));
            }
        }
    }
}
