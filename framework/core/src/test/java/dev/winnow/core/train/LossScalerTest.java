package dev.winnow.core.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The scaler against PyTorch's GradScaler rules (torch.amp.GradScaler, defaults init_scale 2^16, growth_factor 2,
 * backoff_factor 0.5, growth_interval 2000): a non-finite step is skipped, halves the scale and restarts the count;
 * the 2000th finite step in a row doubles the scale and restarts the count.
 */
class LossScalerTest {

    @Test
    void followsGradScalerDefaults() {
        LossScaler s = new LossScaler(LossScaler.Options.defaults());
        assertEquals(65536.0, s.scale());
        assertFalse(s.update(false), "an overflowing step is skipped");
        assertEquals(32768.0, s.scale());
        assertFalse(s.update(false));
        assertEquals(16384.0, s.scale());
        for (int i = 1; i < 2000; i++) {
            assertTrue(s.update(true));
            assertEquals(16384.0, s.scale(), "no growth before the 2000th good step (" + i + ")");
        }
        assertEquals(1999, s.goodSteps());
        assertTrue(s.update(true)); // the 2000th good step is applied, then the scale grows
        assertEquals(32768.0, s.scale());
        assertEquals(0, s.goodSteps());
        for (int i = 0; i < 1500; i++) {
            s.update(true);
        }
        assertFalse(s.update(false)); // an overflow restarts the count as well as halving
        assertEquals(16384.0, s.scale());
        assertEquals(0, s.goodSteps());
        for (int i = 0; i < 1999; i++) {
            s.update(true);
        }
        assertEquals(16384.0, s.scale());
        s.update(true);
        assertEquals(32768.0, s.scale());
    }

    @Test
    void restoresAndRefusesNonsense() {
        LossScaler s = new LossScaler(new LossScaler.Options(8, 2, 0.5, 3));
        s.restore(4, 2);
        assertTrue(s.update(true));
        assertEquals(8.0, s.scale());
        assertThrows(IllegalArgumentException.class, () -> new LossScaler.Options(0, 2, 0.5, 1));
        assertThrows(IllegalArgumentException.class, () -> new LossScaler.Options(1, 2, 1.5, 1));
    }
}
