/**
 * Fast differentiable kernels (attention, RMSNorm, MLP activations, rotary embedding, grouped
 * log-softmax, linear) for model code. Each kernel has a composed implementation from DJL
 * operators (the reference and fallback) and one that runs a small TorchScript module written
 * from Java, which reaches libtorch operators DJL does not bind and makes bf16 compute possible.
 */
@NullMarked
package dev.winnow.nn.kernels;

import org.jspecify.annotations.NullMarked;
