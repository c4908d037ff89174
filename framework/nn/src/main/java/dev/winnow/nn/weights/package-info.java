/**
 * Reading and writing model weights in the safetensors format: single files of any size (memory-mapped by
 * region), Hugging Face sharded checkpoints with {@code model.safetensors.index.json}, and the dtypes Winnow's
 * engine can hold (bf16 and f16 are widened to f32 on load, because DJL's PyTorch engine has no bf16).
 */
@NullMarked
package dev.winnow.nn.weights;

import org.jspecify.annotations.NullMarked;
