package dev.winnow.nn;

import java.util.List;

/** A model whose linear layers accept LoRA adapters. */
public interface LoraTarget {
    /** The model's linear layers, through which its forward pass runs. */
    Linears linears();

    /** Every linear module name, for target matching ({@code all-linear} or leaf names such as {@code q_proj}). */
    List<String> linearModules();

    /** Modules of the task head: trained in full (PEFT's modules_to_save), never given adapters. */
    List<String> headModules();
}
