package dev.winnow.api.model;

import dev.winnow.api.UserException;
import java.util.Locale;

/** Which kernel implementation a run uses; the recipe key {@code kernels} selects it. */
public enum KernelMode {
    /** TorchScript kernels where libtorch can load them, composed DJL kernels otherwise. */
    AUTO,
    /** DJL operators only: the reference implementation. */
    COMPOSED,
    /** TorchScript kernels, failing if they cannot be loaded. */
    TORCHSCRIPT;

    /**
     * Parses a recipe value ({@code auto}, {@code composed} or {@code torchscript}).
     *
     * @param value the text from the recipe
     * @return the mode
     * @throws UserException naming the valid values when {@code value} is none of them
     */
    public static KernelMode parse(String value) {
        String v = value.trim().toUpperCase(Locale.ROOT);
        for (KernelMode mode : values()) {
            if (mode.name().equals(v)) {
                return mode;
            }
        }
        throw new UserException(
                "kernels: '" + value + "' is not a kernel mode; valid: auto, composed, torchscript");
    }
}
