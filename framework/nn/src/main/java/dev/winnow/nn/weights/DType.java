package dev.winnow.nn.weights;

import ai.djl.ndarray.types.DataType;
import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The element types Winnow reads and writes in safetensors files, named as the format names them. The constant's
 * {@link #name()} is the string in a safetensors header.
 */
public enum DType {
    F32(4, 15),
    F16(2, 11),
    BF16(2, 12),
    F64(8, 17),
    I64(8, 18),
    I32(4, 13),
    I16(2, 9),
    I8(1, 5),
    U8(1, 4),
    BOOL(1, 0);

    private final int byteSize;
    /** Position in the safetensors crate's {@code Dtype} enum; files lay out data by descending rank. */
    private final int layoutRank;

    DType(int byteSize, int layoutRank) {
        this.byteSize = byteSize;
        this.layoutRank = layoutRank;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    /** Whether this is a floating point type (F32, F16, BF16, F64). */
    public boolean isFloating() {
        return this == F32 || this == F16 || this == BF16 || this == F64;
    }

    int layoutRank() {
        return layoutRank;
    }

    /** The dtype named {@code name} in a safetensors header, if Winnow supports it. */
    public static Optional<DType> fromSafetensors(String name) {
        for (DType t : values()) {
            if (t.name().equals(name)) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }

    /** All supported names, for error messages. */
    static String supportedNames() {
        return Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", "));
    }

    /**
     * The DJL type a tensor of this dtype is loaded as: every floating type becomes FLOAT32 (DJL's engine cannot
     * hold bf16, and training runs in f32); I16 becomes INT32 (creating an INT16 array aborts DJL's PyTorch JNI,
     * as bf16 does); other integer and boolean types keep their type.
     */
    public DataType loadedType() {
        return switch (this) {
            case F32, F16, BF16, F64 -> DataType.FLOAT32;
            case I64 -> DataType.INT64;
            case I32, I16 -> DataType.INT32;
                        case I8 -> DataType.INT8;
            case U8 -> DataType.UINT8;
            case BOOL -> DataType.BOOLEAN;
        };
    }

    /** The dtype an NDArray of {@code type} is written as, if it has one. BFLOAT16 arrays cannot exist in DJL. */
    public static Optional<DType> fromDataType(DataType type) {
        return Optional.ofNullable(switch (type) {
            case FLOAT32 -> F32;
            case FLOAT16 -> F16;
            case FLOAT64 -> F64;
            case INT64 -> I64;
            case INT32 -> I32;
            case INT16 -> I16;
            case INT8 -> I8;
            case UINT8 -> U8;
            case BOOLEAN -> BOOL;
            default -> null;
        });
    }
}
